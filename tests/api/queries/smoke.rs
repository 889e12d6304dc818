//! The path a new user takes first: create, read back, through the real server.

use libtest_mimic::Trial;
use serde_json::json;

use crate::support::{TestApp, assert_no_errors, error_code, on_both_databases};

async fn a_created_user_reads_back_from_the_read_side(app: TestApp) {
    let (organization_id, created) = app.organization_with_user().await;
    assert_eq!(created["version"], 1);
    assert_eq!(created["user"]["email"], "ada@example.com");
    assert_eq!(
        created["user"]["organization"]["id"],
        organization_id.as_str()
    );

    let body = app
        .gql(
            "query($id: ID!) { user(id: $id) { name status role } }",
            json!({ "id": created["userId"] }),
        )
        .await;
    assert_no_errors(&body);
    assert_eq!(
        body["data"]["user"],
        json!({ "name": "Ada Lovelace", "status": "ACTIVE", "role": "MEMBER" })
    );
}

async fn a_query_the_schema_refuses_still_gets_a_code(app: TestApp) {
    for query in [
        "{ users { nodes { nope } } }",
        "{ users(",
        "{ user { id } }",
        "subscription { userChanged { kind } }",
    ] {
        let body = app.gql(query, json!({})).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{query}: {body}");
    }
}

async fn a_failing_nullable_field_reads_null_beside_its_error(app: TestApp) {
    let body = app
        .gql_as(
            None,
            r#"{ user(id: "not-an-id") { name } organizations { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"],
        json!({ "user": null, "organizations": { "totalCount": 0 } }),
        "{body}"
    );
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["path"], json!(["user"]));
    assert_eq!(body["errors"].as_array().map(Vec::len), Some(1), "{body}");
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        a_failing_nullable_field_reads_null_beside_its_error,
        a_created_user_reads_back_from_the_read_side,
        a_query_the_schema_refuses_still_gets_a_code,
    )
}
