//! `readModel`: the read side's position against the log's head.

use libtest_mimic::Trial;
use serde_json::{Value, json};

use crate::support::{TestApp, assert_no_errors, on_both_databases};

async fn read_model(app: &TestApp, headers: &[(&str, &str)]) -> Value {
    let (_, body) = app
        .post(
            None,
            headers,
            json!({ "query": "{ readModel { position headPosition lagEvents lagSeconds parkedEvents } }" }),
        )
        .await;
    assert_no_errors(&body);
    body["data"]["readModel"].clone()
}

fn assert_caught_up(status: &Value) {
    assert_eq!(status["position"], status["headPosition"], "{status}");
    assert_eq!(status["lagEvents"], 0, "{status}");
    assert_eq!(status["lagSeconds"].as_f64(), Some(0.0), "{status}");
    assert_eq!(status["parkedEvents"], 0, "{status}");
}

async fn the_read_model_shows_no_lag_once_caught_up_and_its_head_moves_with_each_mutation(
    app: TestApp,
) {
    let empty = read_model(&app, &[]).await;
    assert_caught_up(&empty);

    // The payload's `organization` waits for the read side: caught up afterwards.
    let created = app.create_organization("acme", "Acme").await;
    let after_create = read_model(&app, &[]).await;
    assert_caught_up(&after_create);
    assert_ne!(
        after_create["headPosition"], empty["headPosition"],
        "a mutation moves the head"
    );

    let body = app
        .gql(
            "mutation($input: RenameOrganizationInput!) { renameOrganization(input: $input) { consistencyToken } }",
            json!({ "input": { "id": created["organizationId"], "expectedVersion": 1, "name": "Acme Corp" } }),
        )
        .await;
    assert_no_errors(&body);
    let token = body["data"]["renameOrganization"]["consistencyToken"]
        .as_str()
        .expect("a token")
        .to_owned();
    let after_rename = read_model(&app, &[("X-Consistency-Token", &token)]).await;
    assert_caught_up(&after_rename);
    assert_ne!(
        after_rename["headPosition"], after_create["headPosition"],
        "a mutation moves the head"
    );
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        the_read_model_shows_no_lag_once_caught_up_and_its_head_moves_with_each_mutation,
    )
}
