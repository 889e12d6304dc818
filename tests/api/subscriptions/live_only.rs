//! A subscription without `after` (the README's own example) gets live changes only: none
//! of what happened before it subscribed.

use std::time::Duration;

use libtest_mimic::Trial;
use serde_json::{Value, json};

use crate::support::{TestApp, WsClient, assert_no_errors, on_both_databases, text};

/// The README's example, with the organization as a variable.
const README_EXAMPLE: &str = "subscription($organizationId: ID) { userChanged(organizationId: $organizationId) { kind event position user { name version } } }";

/// How long one probe waits for its change before the next probe is made.
const PROBE_WAIT: Duration = Duration::from_millis(500);
const PROBES: i32 = 30;

async fn rename(app: &TestApp, user_id: &str, version: i32, name: &str) -> Value {
    app.mutate(
        "renameUser",
        json!({ "id": user_id, "expectedVersion": version, "name": name }),
        "version",
    )
    .await
}

/// The next change on `listener`, or None when none comes within `wait`.
async fn change_within(listener: &mut WsClient, wait: Duration) -> Option<Value> {
    let message = tokio::time::timeout(wait, listener.receive())
        .await
        .ok()??;
    assert!(message["type"] == "next", "{message}");
    assert_no_errors(&message["payload"]);
    Some(message["payload"]["data"]["userChanged"].clone())
}

async fn a_subscription_without_after_gets_live_changes_only(app: TestApp) {
    // History: Ada created and renamed twice, all applied before anyone listens.
    let (acme, user) = app.organization_with_user().await;
    let ada = text(&user["userId"]);
    rename(&app, &ada, 1, "Ada Byron").await;
    rename(&app, &ada, 2, "Ada King").await;
    app.settle().await;

    let variables = json!({ "organizationId": acme });
    let mut listener =
        WsClient::subscribed(&app, Some(&app.admin), README_EXAMPLE, variables).await;

    // The subscription is live once a change made after it arrives: rename Ada ("Probe n")
    // until one arrives. Whatever arrives first must be a probe, never history.
    let mut version = 3;
    let mut first = None;
    for probe in 1..=PROBES {
        rename(&app, &ada, version, &format!("Probe {probe}")).await;
        version += 1;
        if let Some(change) = change_within(&mut listener, PROBE_WAIT).await {
            first = Some(change);
            break;
        }
    }
    let first = first.unwrap_or_else(|| panic!("no change arrived after {PROBES} probes"));
    assert_eq!(
        first["event"], "UserRenamed",
        "history was replayed: {first}"
    );
    let name = first["user"]["name"].as_str().unwrap_or_default();
    assert!(name.starts_with("Probe "), "history was replayed: {first}");
    // Probes that were made before the subscription was live never come; later ones do,
    // in order, up to the last one made.
    let mut seen = first;
    while seen["user"]["version"] != version {
        let next = listener.next_change("userChanged").await;
        assert_eq!(next["event"], "UserRenamed", "{next}");
        let name = next["user"]["name"].as_str().unwrap_or_default();
        assert!(name.starts_with("Probe "), "history was replayed: {next}");
        seen = next;
    }

    // Now live: the next change is exactly the one made next.
    app.create_user(&acme, "grace@example.com", "Grace Hopper")
        .await;
    let change = listener.next_change("userChanged").await;
    assert_eq!(change["event"], "UserCreated", "{change}");
    assert_eq!(change["kind"], "CREATED", "{change}");
    assert_eq!(
        change["user"],
        json!({ "name": "Grace Hopper", "version": 1 }),
        "{change}"
    );
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(a_subscription_without_after_gets_live_changes_only)
}
