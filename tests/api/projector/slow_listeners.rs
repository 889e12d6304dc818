//! A listener that falls behind the change broadcast catches up from the event log: every
//! change still arrives, in order, once, and the catch-up is what delivered them.

use libtest_mimic::Trial;
use rosterql::command::{CommandContext, RenameUser, Target};
use serde_json::json;

use crate::support::hold::HoldableApp;
use crate::support::{TestDatabase, WsClient, on_both_databases, text, user_changed};

/// The broadcast holds this many changes per listener (`ROSTERQL_CHANGE_BUFFER`).
const BUFFER: &str = "4";
const RENAMES: i32 = 30;
const CATCHUPS: &str = "rosterql_subscription_catchups_total";

async fn a_listener_that_falls_behind_the_broadcast_misses_nothing(database: TestDatabase) {
    // A process of its own: its catch-up counter counts only this listener's catch-ups.
    let app = HoldableApp::start(database, &[("ROSTERQL_CHANGE_BUFFER", BUFFER)]).await;
    let (_, user) = app.organization_with_user().await;
    let user_id = text(&user["userId"]);
    let variables = json!({ "userId": user_id, "after": app.read_position().await });
    let query = user_changed("event position user { version }");
    let mut listener = WsClient::subscribed(&app, Some(&app.admin), &query, variables).await;
    assert_eq!(app.counter(CATCHUPS, &[]).await, 0.0, "a catch-up already");

    // Written while the projector is held back, so that it applies them all in one batch
    // and publishes them at once: far more than the broadcast holds for this listener. Each
    // rename's position is the one its change must carry.
    let hold = app.hold().await;
    let commands = app.database().command_service().await;
    let mut expected = Vec::new();
    for version in 1..=RENAMES {
        let rename = RenameUser {
            target: Target {
                id: user_id.parse().expect("a uuid"),
                expected_version: version,
            },
            name: format!("Ada {version}"),
        };
        let outcome = commands
            .execute(&CommandContext::default(), rename)
            .await
            .expect("a rename");
        assert_eq!(outcome.version, version + 1);
        expected.push(outcome.position.to_string());
    }
    hold.release().await;

    // Exactly the renames, each once, in the order they were committed: no block sent
    // twice, none left out, none swapped.
    let mut received = Vec::new();
    for _ in 0..RENAMES {
        let change = listener.next_change("userChanged").await;
        assert_eq!(change["event"], "UserRenamed", "{change}");
        received.push(text(&change["position"]));
    }
    assert_eq!(
        received, expected,
        "the changes as received vs as committed"
    );

    // Nothing more: one more change arrives next, not a leftover of the catch-up.
    let last = app
        .mutate(
            "renameUser",
            json!({ "id": user_id, "expectedVersion": RENAMES + 1, "name": "Ada" }),
            "version consistencyToken",
        )
        .await;
    let change = listener.next_change("userChanged").await;
    assert_eq!(change["event"], "UserRenamed", "{change}");
    assert_eq!(change["user"]["version"], RENAMES + 2, "{change}");
    assert_eq!(change["user"]["version"], last["version"], "{change}");

    let catchups = app.counter(CATCHUPS, &[]).await;
    assert!(
        catchups >= 1.0,
        "the listener never fell behind, so the catch-up was not tested ({CATCHUPS} = {catchups})"
    );
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(a_listener_that_falls_behind_the_broadcast_misses_nothing,)
}
