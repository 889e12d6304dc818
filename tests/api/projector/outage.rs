//! A database that goes away: readiness says so, and requests get SERVICE_UNAVAILABLE, never
//! a 500 or a leaked driver message. Postgres only: a test can pull a Postgres database out
//! from under a running server (a SQLite file stays readable while it is open).

use libtest_mimic::Trial;
use serde_json::{Value, json};

use crate::support::{TestApp, error_code, on_postgres};

async fn a_dropped_database_makes_the_server_unready_and_requests_unavailable(app: TestApp) {
    let (organization_id, user) = app.organization_with_user().await;
    assert_eq!(app.readiness().await, (200, json!({ "status": "ready" })));

    app.database().drop_now().await;

    let (status, body) = app.readiness().await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "unavailable");
    assert!(
        body["reason"]
            .as_str()
            .is_some_and(|reason| reason.contains("database")),
        "{body}"
    );

    let reads = [
        (
            "query($id: ID!) { user(id: $id) { name } }",
            json!({ "id": "01a2169f-e2c9-7343-9704-827c2efd3d74" }),
        ),
        (
            "query($id: ID!) { organization(id: $id) { name } }",
            json!({ "id": organization_id }),
        ),
    ];
    for (query, variables) in reads {
        let body = app.gql(query, variables).await;
        assert_eq!(error_code(&body), "SERVICE_UNAVAILABLE", "{body}");
        assert_no_driver_detail(&body);
    }
    let rename = app
        .gql(
            "mutation($id: ID!) { renameUser(input: {id: $id, expectedVersion: 1, name: \"Ada\"}) { version } }",
            json!({ "id": user["userId"] }),
        )
        .await;
    assert_eq!(error_code(&rename), "SERVICE_UNAVAILABLE", "{rename}");
    assert_no_driver_detail(&rename);
}

fn assert_no_driver_detail(body: &Value) {
    let message = body["errors"][0]["message"]
        .as_str()
        .expect("a message")
        .to_lowercase();
    for detail in [
        "sql",
        "postgres",
        "pool",
        "connection",
        "does not exist",
        "terminat",
    ] {
        assert!(!message.contains(detail), "{detail:?} leaked: {message}");
    }
}

pub(super) fn trials() -> Vec<Trial> {
    on_postgres!(a_dropped_database_makes_the_server_unready_and_requests_unavailable,)
}
