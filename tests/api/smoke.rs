//! The path a new user takes first: create, read back, through the real server.

use serde_json::json;

use crate::helpers::{Backend, TestApp, assert_no_errors, error_code};
use crate::on_both_databases;

async fn a_created_user_reads_back_from_the_read_side(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
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

async fn a_query_the_schema_refuses_still_gets_a_code(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
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

async fn a_failing_nullable_field_reads_null_beside_its_error(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
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

on_both_databases!(
    a_failing_nullable_field_reads_null_beside_its_error,
    a_created_user_reads_back_from_the_read_side,
    a_query_the_schema_refuses_still_gets_a_code
);
