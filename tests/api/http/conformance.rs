//! GraphQL over HTTP conformance: the `graphql-http` package's server audit, run by Node
//! against the real binary; every MUST passes. The audit's packages are installed by
//! `npm ci` in `tests/conformance` (`.ci/run` does it). Without them the test is ignored,
//! with a banner saying so; with `CI=true` it fails instead.

use std::path::{Path, PathBuf};
use std::process::Command;

use libtest_mimic::Trial;

use crate::support::{Backend, TestApp, TestDatabase, harness};

fn audit_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

fn installed() -> bool {
    audit_dir().join("node_modules/graphql-http").is_dir()
}

async fn every_must_of_the_graphql_http_server_audit_passes(database: TestDatabase) {
    assert!(
        installed(),
        "the audit's packages are not installed: run `npm ci` in {}",
        audit_dir().display()
    );
    let app = TestApp::spawn_process(database, &[]).await;
    let mut audit = Command::new("node");
    audit
        .arg("graphql-http-audit.mjs")
        .arg(format!("{}/graphql", app.address))
        .current_dir(audit_dir());
    let output = tokio::task::spawn_blocking(move || audit.output())
        .await
        .expect("the blocking task")
        .expect("node runs");
    let report = String::from_utf8_lossy(&output.stdout);
    eprintln!("{report}");
    assert!(
        output.status.success(),
        "the audit failed ({}):\n{report}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        report.contains("MUST: "),
        "no counts in the report:\n{report}"
    );
}

pub(super) fn trials() -> Vec<Trial> {
    let trial = harness::on(
        Backend::Sqlite,
        module_path!(),
        "every_must_of_the_graphql_http_server_audit_passes",
        every_must_of_the_graphql_http_server_audit_passes,
    );
    if installed() || std::env::var("CI").is_ok_and(|ci| ci == "true") {
        return vec![trial];
    }
    eprintln!(
        "\n!!! {} has no node_modules: the GraphQL over HTTP audit is IGNORED.\n\
         !!! Run `npm ci` there; with CI=true it fails instead.\n",
        audit_dir().display()
    );
    vec![trial.with_ignored_flag(true).with_kind("npm ci not run")]
}
