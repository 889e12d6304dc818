//! Property-based fuzzing of the whole API: schemathesis (PyPI, pinned in
//! `tests/conformance/schemathesis/requirements.txt`) generates GraphQL requests from the
//! live schema and sends them to the real binary, as an admin and anonymously, a bounded
//! number per operation. Every answer must be free of 5xx, carry `extensions.code` on each
//! error, and never call the client's request the server's fault (`INTERNAL_SERVER_ERROR`,
//! `SERVICE_UNAVAILABLE`); the checks are in `hooks.py` there. Without the virtual environment `.ci/run` makes there, the trials are
//! ignored; with `CI=true` they fail instead.

use std::path::Path;
use std::process::Command;

use libtest_mimic::Trial;

use crate::support::{TestApp, TestDatabase, needs_tool, on_both_databases};

const TOOL_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/conformance/schemathesis"
);
const SCHEMATHESIS: &str = ".venv/bin/schemathesis";
/// Generated requests per operation and caller.
const EXAMPLES_PER_OPERATION: &str = "25";
const CHECKS: &str = "no_5xx_status,every_error_has_a_code,no_server_fault_for_a_clients_request";

fn installed() -> bool {
    Path::new(TOOL_DIR).join(SCHEMATHESIS).is_file()
}

/// Runs schemathesis against `app` with `headers`; returns its output, having asserted it
/// found nothing.
async fn fuzz(app: &TestApp, headers: Vec<String>) -> String {
    let mut command = Command::new(Path::new(TOOL_DIR).join(SCHEMATHESIS));
    command
        .arg("run")
        .arg(format!("{}/graphql", app.address))
        .args(["--phases", "fuzzing", "--checks", CHECKS])
        .args(["--max-examples", EXAMPLES_PER_OPERATION])
        .args([
            "--generation-allow-x00",
            "true",
            "--generation-database",
            "none",
        ])
        .args(["--workers", "1", "--no-color"])
        .args(
            headers
                .iter()
                .flat_map(|header| ["--header", header.as_str()]),
        )
        .current_dir(TOOL_DIR)
        .env("PYTHONPATH", TOOL_DIR)
        .env("SCHEMATHESIS_HOOKS", "hooks");
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the blocking task")
        .expect("schemathesis runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "schemathesis found failures ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(stdout.contains(" passed"), "no test case ran:\n{stdout}");
    stdout
}

async fn generated_requests_get_coded_client_errors_and_never_a_5xx(database: TestDatabase) {
    assert!(
        installed(),
        "CI=true and {TOOL_DIR}/{SCHEMATHESIS} is missing: see .ci/run's schemathesis step"
    );
    let app = TestApp::spawn_process(database, &[]).await;
    let admin = format!("Authorization: Bearer {}", app.admin);
    for headers in [vec![admin], Vec::new()] {
        let output = fuzz(&app, headers).await;
        let summary = output
            .lines()
            .find(|line| line.contains("generated"))
            .unwrap_or_default();
        println!("schemathesis: {}", summary.trim());
    }
    // Still serving after all that.
    let body = app
        .gql("{ readModel { position } }", serde_json::json!({}))
        .await;
    crate::support::assert_no_errors(&body);
}

pub(super) fn trials() -> Vec<Trial> {
    needs_tool(
        on_both_databases!(generated_requests_get_coded_client_errors_and_never_a_5xx),
        installed(),
        "schemathesis not installed",
    )
}
