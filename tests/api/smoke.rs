//! The path a new user takes first: create, read back, through the real server.

use serde_json::json;

use crate::helpers::{Backend, TestApp, assert_no_errors};
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

on_both_databases!(a_created_user_reads_back_from_the_read_side);
