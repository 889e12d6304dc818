//! `userChanged`: every change arrives, in order, with its event and the state right after
//! it; filters leave out other organizations and users; and what a listener got, a query
//! right after it sees.
//!
//! Every listener first reads `readModel { position }` and subscribes `after` it, so no
//! change made afterwards can slip past a subscription that is still being set up.

use libtest_mimic::Trial;
use serde_json::{Value, json};

use super::listener::{
    Listener, Protocol, command, create_organization, create_user_without_waiting, user_changed,
};
use super::script::{
    ExpectedUserChange, UserScript, assert_positions_follow_each_other, receive_user_changes,
};
use crate::support::{TestApp, assert_no_errors, on_both_databases};

async fn every_user_change_arrives_in_order_with_its_event_and_the_state_after_it(
    app: TestApp,
    protocol: Protocol,
) {
    let organization_id = create_organization(&app, "acme").await;
    let after = app.read_position().await;
    let variables = json!({ "organizationId": organization_id, "after": after });
    let mut listener = Listener::admin(&app, protocol, &user_changed(), variables).await;

    let mut ada =
        UserScript::create(&app, &organization_id, "ada@example.com", "Ada Lovelace").await;
    // Once the creation has arrived the listener is live, so every later change comes with
    // the state right after it (a replayed one would carry the current state).
    let mut positions = receive_user_changes(&mut listener, &ada.expected).await;
    ada.live_a_whole_life().await;
    positions.extend(receive_user_changes(&mut listener, &ada.expected[1..]).await);
    assert_positions_follow_each_other(&app, &ada.user_id(), &positions).await;
}

async fn every_user_change_arrives_in_order_over_graphql_transport_ws(app: TestApp) {
    every_user_change_arrives_in_order_with_its_event_and_the_state_after_it(
        app,
        Protocol::TransportWs,
    )
    .await;
}

async fn every_user_change_arrives_in_order_over_the_legacy_graphql_ws_protocol(app: TestApp) {
    every_user_change_arrives_in_order_with_its_event_and_the_state_after_it(
        app,
        Protocol::LegacyWs,
    )
    .await;
}

/// Whether a `userChanged` listener with `filter` (its variables) wants `change`.
fn passes(filter: &Value, change: &ExpectedUserChange) -> bool {
    filter["organizationId"]
        .as_str()
        .is_none_or(|id| id == change.organization_id)
        && filter["userId"]
            .as_str()
            .is_none_or(|id| id == change.user_id)
}

async fn user_changed_filters_leave_out_other_organizations_and_other_users(app: TestApp) {
    let acme = create_organization(&app, "acme").await;
    let globex = create_organization(&app, "globex").await;
    let mut ada = UserScript::create(&app, &acme, "ada@example.com", "Ada").await;
    let after = app.read_position().await;
    let filters = [
        json!({ "organizationId": acme }),
        json!({ "userId": ada.user_id() }),
    ];
    let mut listeners = Vec::new();
    for filter in &filters {
        let mut variables = filter.clone();
        variables["after"] = json!(after);
        listeners
            .push(Listener::admin(&app, Protocol::TransportWs, &user_changed(), variables).await);
    }

    // The first and the last change match every filter: the first shows each listener is
    // live; a change that leaked through a filter would arrive before the last one.
    let mut log = Vec::new();
    ada.rename("Ada K").await;
    log.push(ada.last());
    let mut grace = UserScript::create(&app, &acme, "grace@example.com", "Grace").await;
    log.push(grace.last());
    let mut linus = UserScript::create(&app, &globex, "linus@example.com", "Linus").await;
    log.push(linus.last());
    linus.rename("Linus T").await;
    log.push(linus.last());
    grace.rename("Grace H").await;
    log.push(grace.last());
    ada.rename("Ada L").await;
    log.push(ada.last());

    for (listener, filter) in listeners.iter_mut().zip(&filters) {
        let expected: Vec<_> = log
            .iter()
            .filter(|change| passes(filter, change))
            .cloned()
            .collect();
        assert!(
            expected.len() < log.len(),
            "the filter {filter} must leave something out"
        );
        receive_user_changes(listener, &expected).await;
    }
}

fn name_at_version(version: i64) -> String {
    format!("Ada v{version}")
}

async fn a_listener_that_queries_right_after_a_change_sees_at_least_that_state(app: TestApp) {
    let organization_id = create_organization(&app, "acme").await;
    let user_id = create_user_without_waiting(
        &app,
        &organization_id,
        "ada@example.com",
        &name_at_version(1),
    )
    .await;
    app.settle().await;
    let after = app.read_position().await;
    let variables = json!({ "userId": user_id, "after": after });
    let mut listener =
        Listener::admin(&app, Protocol::TransportWs, &user_changed(), variables).await;

    const RENAMES: i64 = 15;
    let renames = async {
        for version in 2..=RENAMES + 1 {
            let input = json!({ "id": user_id, "expectedVersion": version - 1, "name": name_at_version(version) });
            assert_eq!(command(&app, "renameUser", input).await, version);
        }
    };
    let queries = async {
        for _ in 0..RENAMES {
            let change = listener.next_user_change().await;
            assert_eq!(change["event"], "UserRenamed", "{change}");
            let seen = change["user"]["version"].as_i64().expect("a version");
            assert_eq!(change["user"]["name"], name_at_version(seen), "{change}");
            // No consistency token: the change itself must be enough.
            let body = app
                .gql(
                    "query($id: ID!, $organizationId: ID!) { user(id: $id) { name version }
                        users(organizationId: $organizationId) { nodes { id name version } } }",
                    json!({ "id": user_id, "organizationId": organization_id }),
                )
                .await;
            assert_no_errors(&body);
            let listed = body["data"]["users"]["nodes"]
                .as_array()
                .and_then(|nodes| nodes.iter().find(|node| node["id"] == user_id.as_str()))
                .unwrap_or_else(|| panic!("the user is not listed: {body}"));
            for (how, read) in [("user(id)", &body["data"]["user"]), ("users", listed)] {
                let version = read["version"]
                    .as_i64()
                    .unwrap_or_else(|| panic!("{how} found no user: {body}"));
                assert!(
                    version >= seen,
                    "{how} answered version {version} after the listener got {seen}: {body}"
                );
                assert_eq!(read["name"], name_at_version(version), "{how}: {body}");
            }
        }
    };
    tokio::join!(renames, queries);
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        every_user_change_arrives_in_order_over_graphql_transport_ws,
        every_user_change_arrives_in_order_over_the_legacy_graphql_ws_protocol,
        user_changed_filters_leave_out_other_organizations_and_other_users,
        a_listener_that_queries_right_after_a_change_sees_at_least_that_state,
    )
}
