//! A listener that falls behind the change broadcast catches up from the event log: every
//! change still arrives, in order, once.

use rosterql::command::{CommandContext, RenameUser, Target};
use serde_json::json;

use crate::helpers::{Backend, TestApp, TestDatabase, WsClient, assert_no_errors, test_config};
use crate::on_both_databases;

const BUFFER: usize = 4;
const RENAMES: i32 = 30;

async fn a_listener_that_falls_behind_the_broadcast_misses_nothing(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let mut config = test_config(&database);
    config.change_buffer = BUFFER;
    let app = TestApp::start(&config).await;
    let (_, user) = app.organization_with_user().await;
    let user_id = user["userId"].as_str().expect("an id").to_owned();
    let position =
        app.gql("{ readModel { position } }", json!({})).await["data"]["readModel"]["position"]
            .clone();

    let mut listener = WsClient::connect(&app, Some(&app.admin)).await;
    listener
        .subscribe(
            "1",
            "subscription($id: ID!, $after: String) { userChanged(userId: $id, after: $after) { event position user { version } } }",
            json!({ "id": user_id, "after": position }),
        )
        .await;

    // Written by another process, so the projector finds them all in one poll and publishes
    // them at once: far more than the broadcast holds for this listener.
    let commands = database.command_service().await;
    for version in 1..=RENAMES {
        let rename = RenameUser {
            target: Target {
                id: user_id.parse().expect("a uuid"),
                expected_version: version,
            },
            name: format!("Ada {version}"),
        };
        commands
            .execute(&CommandContext::default(), rename)
            .await
            .expect("a rename");
    }

    let mut positions = Vec::new();
    for _ in 0..RENAMES {
        let payload = listener.next_data().await;
        assert_no_errors(&payload);
        let change = &payload["data"]["userChanged"];
        assert_eq!(change["event"], "UserRenamed", "{change}");
        positions.push(change["position"].as_str().expect("a position").to_owned());
    }
    let mut distinct = positions.clone();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        RENAMES as usize,
        "a change came twice: {positions:?}"
    );
    app.settle().await;
    let body = app
        .gql(
            "query($id: ID!) { user(id: $id) { version } }",
            json!({ "id": user_id }),
        )
        .await;
    assert_eq!(body["data"]["user"]["version"], RENAMES + 1);
}

on_both_databases!(a_listener_that_falls_behind_the_broadcast_misses_nothing);
