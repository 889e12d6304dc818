//! A listener that falls behind the change broadcast catches up from the event log: every
//! change still arrives, in order, once.

use libtest_mimic::Trial;
use rosterql::command::{CommandContext, RenameUser, Target};
use serde_json::json;

use crate::support::{TestApp, TestDatabase, WsClient, on_both_databases, text, user_changed};

const BUFFER: usize = 4;
const RENAMES: i32 = 30;

async fn a_listener_that_falls_behind_the_broadcast_misses_nothing(database: TestDatabase) {
    let app = TestApp::spawn_on(database, |config| config.change_buffer = BUFFER).await;
    let (_, user) = app.organization_with_user().await;
    let user_id = text(&user["userId"]);
    let variables = json!({ "userId": user_id, "after": app.read_position().await });
    let query = user_changed("event position user { version }");
    let mut listener = WsClient::subscribed(&app, Some(&app.admin), &query, variables).await;

    // Written by another process, so the projector finds them all in one poll and publishes
    // them at once: far more than the broadcast holds for this listener.
    let commands = app.database().command_service().await;
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
        let change = listener.next_change("userChanged").await;
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

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(a_listener_that_falls_behind_the_broadcast_misses_nothing,)
}
