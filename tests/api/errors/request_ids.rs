//! A failed read (a read table gone: the database refused the statement) is
//! INTERNAL_SERVER_ERROR, an unreachable database SERVICE_UNAVAILABLE; both carry the
//! request's id in `extensions.requestId` — the client's `X-Request-Id` when it is a
//! sensible one, else one the server made — and the server logs the failure with that id.
//! The real binary, for its log.

use std::time::Duration;

use libtest_mimic::Trial;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    TestApp, TestDatabase, assert_no_internal_detail, on_both_databases, on_postgres,
};

const READ: &str = "{ organizations { totalCount } }";

/// POSTs [`READ`], with `request_id` as `X-Request-Id` when given; returns the response's
/// `X-Request-Id` and its body.
async fn read(app: &TestApp, request_id: Option<&str>) -> (String, Value) {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": READ }));
    if let Some(id) = request_id {
        request = request.header("x-request-id", id);
    }
    let response = request.send().await.expect("the server answers");
    let echoed = response
        .headers()
        .get("x-request-id")
        .map(|value| value.to_str().expect("ASCII").to_owned())
        .expect("an X-Request-Id in the response");
    (echoed, response.json().await.expect("a JSON body"))
}

/// `body`'s one error is `code` with no internal detail, and carries the request id the
/// response header names; a line of the server's log names it with `logged`. Returns the
/// id.
async fn assert_named_in_the_log(
    app: &TestApp,
    (echoed, body): (String, Value),
    code: &str,
    logged: &str,
) -> String {
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], code, "{body}");
    assert!(body["data"].is_null(), "{body}");
    assert_no_internal_detail(error);
    assert_eq!(error["extensions"]["requestId"], echoed.as_str(), "{body}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !app
        .log()
        .iter()
        .any(|line| line.contains(&echoed) && line.contains(logged))
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no log line names {echoed:?} with {logged:?}: {:#?}",
            app.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    echoed
}

/// Every way a request id comes: the client's, made up for none, made up for one that is
/// not sensible (too long, or with a space).
async fn assert_every_request_id_is_named(app: &TestApp, code: &str, logged: &str) {
    let id = assert_named_in_the_log(app, read(app, Some("trace-42")).await, code, logged).await;
    assert_eq!(id, "trace-42");
    let too_long = "x".repeat(129);
    for unsensible in [None, Some("a b"), Some(too_long.as_str())] {
        let id = assert_named_in_the_log(app, read(app, unsensible).await, code, logged).await;
        assert!(Uuid::parse_str(&id).is_ok(), "{unsensible:?} became {id:?}");
    }
}

async fn a_failed_read_is_internal_with_the_request_id_its_log_line_names(database: TestDatabase) {
    let url = database.url.clone();
    let app = TestApp::spawn_process(database, &[]).await;
    let connection = Database::connect(&url).await.expect("the database opens");
    connection
        .execute_unprepared(
            "ALTER TABLE organization_profiles RENAME TO organization_profiles_gone",
        )
        .await
        .expect("the read table is renamed");

    assert_every_request_id_is_named(&app, "INTERNAL_SERVER_ERROR", "request failed").await;
    assert_eq!(
        app.get("/healthz").await.status(),
        200,
        "the server serves on"
    );
}

async fn an_unreachable_database_is_unavailable_with_the_request_id_its_log_line_names(
    database: TestDatabase,
) {
    let app = TestApp::spawn_process(database, &[]).await;
    app.database().drop_now().await;

    assert_every_request_id_is_named(&app, "SERVICE_UNAVAILABLE", "database unavailable").await;
}

pub(super) fn trials() -> Vec<Trial> {
    let mut trials =
        on_both_databases!(a_failed_read_is_internal_with_the_request_id_its_log_line_names);
    trials.extend(on_postgres!(
        an_unreachable_database_is_unavailable_with_the_request_id_its_log_line_names
    ));
    trials
}
