//! GraphiQL in a real browser: headless Chromium (Debian's `chromium`), driven by
//! Playwright (`playwright-core` from npm, `tests/conformance/browser`), against the real
//! server with nothing but the server to reach. The page opens on its starter document from
//! the embedded assets, runs a query, runs a mutation with an admin token typed into the
//! Headers editor, and shows a subscription's event arriving; the screenshot is kept under
//! `target/tmp/`. Without Chromium or `npm ci` there the trial is ignored, and with
//! `CI=true` it fails instead.

use std::path::Path;

use libtest_mimic::Trial;

use crate::support::{Backend, TestApp, TestDatabase, needs_tool, on_both_databases, run_node};

const PACKAGE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance/browser");
const SCRIPT: &str = "graphiql.mjs";
const CHROMIUM: &str = "/usr/bin/chromium";

fn installed() -> bool {
    Path::new(PACKAGE)
        .join("node_modules/playwright-core")
        .is_dir()
        && Path::new(CHROMIUM).exists()
}

async fn graphiql_runs_a_query_a_mutation_and_a_subscription_in_chromium(database: TestDatabase) {
    assert!(
        installed(),
        "CI=true and Chromium ({CHROMIUM}) or {PACKAGE}/node_modules is missing: install \
         `chromium` and run `npm ci --prefix tests/conformance/browser`"
    );
    let backend = match database.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let app = TestApp::spawn_on(database, |_| {}).await;
    let screenshot = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("graphiql-{backend}.png"));
    let env = [
        ("ROSTERQL_HTTP", app.address.as_ref()),
        ("ROSTERQL_ADMIN_TOKEN", app.admin.as_ref()),
        ("ROSTERQL_SCREENSHOT", screenshot.as_os_str()),
        ("CHROMIUM", CHROMIUM.as_ref()),
    ];
    let stdout = run_node(PACKAGE, SCRIPT, &env).await;
    for step in [
        "ok: the page opens on the starter document",
        "ok: a query runs",
        "ok: a mutation runs with the token in the Headers editor",
        "ok: a subscription event arrives",
        "ok: nothing was loaded from anywhere but the server",
    ] {
        assert!(stdout.contains(step), "{step:?} missing:\n{stdout}");
    }
    assert!(
        screenshot.is_file(),
        "no screenshot at {}",
        screenshot.display()
    );
    eprintln!("GraphiQL screenshot: {}", screenshot.display());
}

pub(super) fn trials() -> Vec<Trial> {
    let trials =
        on_both_databases!(graphiql_runs_a_query_a_mutation_and_a_subscription_in_chromium);
    needs_tool(trials, installed(), "Chromium or npm ci not there")
}
