//! The `graphql-ws` library's own client (npm, `tests/conformance/ws`) against the server:
//! it subscribes, receives the change a mutation makes and completes, pings both ways, and
//! is refused with 4403 for a bad token. Without `npm ci` there the trial is ignored, and
//! with `CI=true` it fails instead.

use std::path::Path;
use std::time::Duration;

use libtest_mimic::Trial;

use crate::support::{TestApp, TestDatabase, on_both_databases, run_node};

const PACKAGE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance/ws");
const SCRIPT: &str = "graphql-ws-client.mjs";
const NOT_INSTALLED: &str = "npm ci not run";

fn installed() -> bool {
    Path::new(PACKAGE).join("node_modules/graphql-ws").is_dir()
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|ci| ci == "true")
}

async fn the_graphql_ws_client_subscribes_receives_a_change_and_completes(database: TestDatabase) {
    assert!(
        installed(),
        "CI=true and {PACKAGE}/node_modules is missing: run `npm ci --prefix tests/conformance/ws`"
    );
    let app = TestApp::spawn_on(database, |config| {
        config.websocket.ping_interval = Duration::from_millis(200).into();
    })
    .await;
    let ws_url = app.ws_url();
    let env = [
        ("ROSTERQL_HTTP", app.address.as_ref()),
        ("ROSTERQL_WS", ws_url.as_ref()),
        ("ROSTERQL_ADMIN_TOKEN", app.admin.as_ref()),
    ];
    let stdout = run_node(PACKAGE, SCRIPT, &env).await;
    assert!(
        stdout.contains("ok: the subscription completes"),
        "{stdout}"
    );
}

pub(super) fn trials() -> Vec<Trial> {
    let trials =
        on_both_databases!(the_graphql_ws_client_subscribes_receives_a_change_and_completes);
    if installed() || in_ci() {
        return trials;
    }
    trials
        .into_iter()
        .map(|trial| trial.with_ignored_flag(true).with_kind(NOT_INSTALLED))
        .collect()
}
