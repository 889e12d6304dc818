//! Projection health as an operator sees it: `/readyz` turns 503 while the read side trails
//! the log by more than `ROSTERQL_MAX_PROJECTION_LAG` (and back to 200 once it catches up),
//! and on Postgres the log names the session whose open transaction holds events back.

use std::time::Duration;

use libtest_mimic::Trial;
use serde_json::{Value, json};

use crate::support::hold::{HOLD_APPLICATION, HoldableApp};
use crate::support::{TestApp, TestDatabase, on_both_databases, on_postgres};

const WAIT: Duration = Duration::from_secs(15);

/// Polls `/readyz` until it answers `status`; returns the body.
async fn readiness_becomes(app: &TestApp, status: u16) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (answered, body) = app.readiness().await;
        if answered == status {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "readyz never answered {status}: {answered} {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn readyz_is_503_while_the_read_side_trails_the_log_beyond_the_bound(database: TestDatabase) {
    let app = HoldableApp::start(database, &[("ROSTERQL_MAX_PROJECTION_LAG", "300ms")]).await;
    app.create_organization("acme", "Acme").await;
    app.settle().await;
    assert_eq!(app.readiness().await.0, 200);

    let hold = app.hold().await;
    app.create_organization_unprojected("globex").await;
    let body = readiness_becomes(&app, 503).await;
    let reason = body["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("trails the event log"), "{body}");
    assert!(reason.contains("ROSTERQL_MAX_PROJECTION_LAG"), "{body}");
    hold.release().await;

    let body = readiness_becomes(&app, 200).await;
    assert_eq!(body, json!({ "status": "ready" }));
}

async fn the_log_names_the_session_whose_transaction_holds_events_back(database: TestDatabase) {
    let app = HoldableApp::start(database, &[]).await;
    app.create_organization("acme", "Acme").await;
    app.settle().await;

    let hold = app.hold().await;
    app.create_organization_unprojected("globex").await;
    // The horizon is the cluster's: another test's transaction may be the oldest for a
    // while (and be named), but once it ends ours is, and is named at once.
    let named = format!("application '{HOLD_APPLICATION}'");
    let deadline = tokio::time::Instant::now() + WAIT;
    let line = loop {
        let log = app.log();
        let found = log.iter().find(|line| {
            line.contains("held back by an open transaction") && line.contains(&named)
        });
        if let Some(line) = found {
            break line.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the log never named the session: {log:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    hold.release().await;
    assert!(line.contains("pid "), "{line}");
    app.settle().await;
}

pub(super) fn trials() -> Vec<Trial> {
    let mut trials =
        on_both_databases!(readyz_is_503_while_the_read_side_trails_the_log_beyond_the_bound);
    trials.extend(on_postgres!(
        the_log_names_the_session_whose_transaction_holds_events_back
    ));
    trials
}
