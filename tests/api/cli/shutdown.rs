//! Shutdown as an operator's process manager does it, to the real binary with real signals:
//! `/readyz` answers 503 at once while requests are still served for the shutdown delay,
//! WebSockets are closed with 1001 (going away) over either protocol, the process says what
//! it drained and exits 0, and a new process on the same database finds nothing left to
//! apply.

use std::time::Duration;

use libtest_mimic::Trial;
use serde_json::json;

use crate::support::{TestApp, TestDatabase, WsClient, assert_no_errors, on_both_databases, text};

const WAIT: Duration = Duration::from_secs(15);

async fn a_terminated_instance_drains_says_so_and_exits_0(database: TestDatabase) {
    let app = TestApp::spawn_process(database, &[("ROSTERQL_SHUTDOWN_DELAY", "2s")]).await;
    app.create_organization("acme", "Acme").await;
    app.settle().await;
    let changes = "subscription { organizationChanged { event } }";
    let mut current = WsClient::subscribed(&app, Some(&app.admin), changes, json!({})).await;
    let mut legacy = WsClient::connect_with(&app, "graphql-ws", Some(&app.admin)).await;

    app.child().signal("TERM");
    let deadline = tokio::time::Instant::now() + WAIT;
    let body = loop {
        let (status, body) = app.readiness().await;
        if status == 503 {
            break body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still ready: {body}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(body["status"], "unavailable", "{body}");
    assert!(text(&body["reason"]).contains("shutting down"), "{body}");
    // Within the delay, requests are still answered: the load balancer is still leaving.
    let answer = app
        .gql("{ organizations(first: 1) { totalCount } }", json!({}))
        .await;
    assert_no_errors(&answer);
    for socket in [&mut current, &mut legacy] {
        let (code, reason) = socket.close_frame().await;
        assert_eq!(code, 1001, "{reason}");
        assert!(reason.contains("shutting down"), "{reason}");
    }

    let deadline = tokio::time::Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = app.exited() {
            break status;
        }
        assert!(tokio::time::Instant::now() < deadline, "still running");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(status, "exit status: 0");
    let log = app.log().join("\n");
    assert!(log.contains("shutting down"), "{log}");
    assert!(
        log.contains("stopped: every request in flight was answered"),
        "{log}"
    );

    // The projector recorded where it stopped: a new process has nothing to catch up on.
    let database = app.stop().await.expect("its database");
    let next = TestApp::spawn_process(database, &[]).await;
    let status = next
        .gql(
            "{ readModel { lagEvents } organizations(first: 1) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(status["data"]["organizations"]["totalCount"], 1, "{status}");
    assert_eq!(status["data"]["readModel"]["lagEvents"], 0, "{status}");
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(a_terminated_instance_drains_says_so_and_exits_0)
}
