//! No request runs away: a statement stuck longer than the statement timeout is stopped by
//! the database, a request longer than the execution timeout is answered when it runs out;
//! both with `SERVICE_UNAVAILABLE` (the request may be retried), and the server answers the
//! next request as usual. Over WebSocket a query has the same execution timeout, and a
//! subscription none. A query is held up by a lock a test connection takes on the read
//! table it reads (Postgres: SQLite's readers never wait for a lock; its interruption of a
//! long statement is shown by `db`'s unit tests).

use std::time::{Duration, Instant};

use libtest_mimic::Trial;
use rosterql::config::Config;
use sea_orm::{ConnectionTrait, Database, DatabaseTransaction, TransactionTrait};
use serde_json::json;

use crate::support::{
    TestApp, TestDatabase, WsClient, assert_no_errors, error_code, on_postgres, user_changed,
};

const ORGANIZATIONS: &str = "{ organizations { totalCount } }";

/// A transaction that holds `organization_profiles` locked against every reader.
async fn lock_organizations(app: &TestApp) -> DatabaseTransaction {
    let connection = Database::connect(&app.database().url)
        .await
        .expect("the database opens");
    let txn = connection.begin().await.expect("a transaction");
    txn.execute_unprepared("LOCK TABLE organization_profiles IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("the lock is taken");
    txn
}

/// Runs [`ORGANIZATIONS`] while the table is locked: it must fail `SERVICE_UNAVAILABLE`
/// with `message` and `status` within `within`; then, unlocked, it is answered.
async fn held_up_then_answered(app: &TestApp, within: Duration, message: &str, status: u16) {
    let lock = lock_organizations(app).await;
    let started = Instant::now();
    let accept = [("accept", "application/graphql-response+json")];
    let (answered, body) = app
        .post(None, &accept, json!({ "query": ORGANIZATIONS }))
        .await;
    let took = started.elapsed();
    assert_eq!(error_code(&body), "SERVICE_UNAVAILABLE", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|text| text.contains(message)),
        "{body}"
    );
    assert!(
        took < within,
        "answered after {took:?}, not within {within:?}"
    );
    assert_eq!(answered, status, "{body}");
    lock.rollback().await.expect("the lock is released");

    let body = app.gql(ORGANIZATIONS, json!({})).await;
    assert_no_errors(&body);
}

async fn a_statement_past_the_statement_timeout_is_stopped(database: TestDatabase) {
    let app = TestApp::spawn_on(database, |config: &mut Config| {
        config.statement_timeout = Duration::from_millis(300).into();
    })
    .await;
    // The field failed, the request ran: 200, with `data` null.
    held_up_then_answered(&app, Duration::from_secs(3), "database", 200).await;
}

async fn a_request_past_the_execution_timeout_is_answered_when_it_runs_out(database: TestDatabase) {
    let app = TestApp::spawn_on(database, |config: &mut Config| {
        config.execution_timeout = Duration::from_millis(300).into();
    })
    .await;
    // The request never finished: under application/graphql-response+json, a 503.
    let message = "did not finish within 300ms";
    held_up_then_answered(&app, Duration::from_secs(3), message, 503).await;
}

async fn a_websocket_query_past_the_execution_timeout_is_answered_and_subscriptions_run_on(
    database: TestDatabase,
) {
    let app = TestApp::spawn_on(database, |config: &mut Config| {
        config.execution_timeout = Duration::from_millis(300).into();
    })
    .await;
    let mut client = WsClient::connect(&app, None).await;
    client
        .subscribe("live", &user_changed("event"), json!({}))
        .await;
    let lock = lock_organizations(&app).await;
    let started = Instant::now();
    client.subscribe("query", ORGANIZATIONS, json!({})).await;
    let answer = client.next_data().await;
    let took = started.elapsed();
    assert_eq!(error_code(&answer), "SERVICE_UNAVAILABLE", "{answer}");
    assert!(took < Duration::from_secs(3), "answered after {took:?}");
    let complete = client.receive().await.expect("its end");
    assert_eq!(complete["type"], "complete", "{complete}");
    lock.rollback().await.expect("the lock is released");

    // The subscription outlived the timeout: it still gets the next change.
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.organization_with_user().await;
    let change = client.next_change("userChanged").await;
    assert_eq!(change["event"], "UserCreated", "{change}");
}

pub(super) fn trials() -> Vec<Trial> {
    on_postgres!(
        a_statement_past_the_statement_timeout_is_stopped,
        a_request_past_the_execution_timeout_is_answered_when_it_runs_out,
        a_websocket_query_past_the_execution_timeout_is_answered_and_subscriptions_run_on,
    )
}
