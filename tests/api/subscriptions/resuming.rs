//! A listener resuming `after` a position gets every later change once, replayed with the
//! current state, then live ones, over either protocol.

use libtest_mimic::Trial;
use serde_json::json;

use super::listener::{Listener, Protocol, create_organization, user_changed};
use super::script::{ExpectedUserChange, UserScript, receive_user_changes};
use crate::support::{TestApp, on_both_databases};

async fn a_listener_resuming_after_a_position_gets_every_later_change_once_then_live_ones(
    app: TestApp,
    protocol: Protocol,
) {
    let organization_id = create_organization(&app, "acme").await;
    let after = app.read_position().await;
    let variables = json!({ "organizationId": organization_id, "after": after });
    let mut first = Listener::admin(&app, protocol, &user_changed(), variables.clone()).await;

    let mut ada = UserScript::create(&app, &organization_id, "ada@example.com", "Ada").await;
    // Once the creation has arrived the listener is live: later changes carry their own state.
    let mut positions = receive_user_changes(&mut first, &ada.expected).await;
    for round in 1..=5 {
        ada.rename(&format!("Ada {round}")).await;
    }
    positions.extend(receive_user_changes(&mut first, &ada.expected[1..]).await);

    // Resume after a change in the middle: the rest is replayed, with the current state.
    let middle = positions.len() / 2;
    let mut resumed_variables = variables;
    resumed_variables["after"] = json!(positions[middle]);
    let mut resumed = Listener::admin(&app, protocol, &user_changed(), resumed_variables).await;
    let current = ada.state.clone();
    let replayed: Vec<_> = ada.expected[middle + 1..]
        .iter()
        .map(|change| ExpectedUserChange {
            user: current.clone(),
            ..change.clone()
        })
        .collect();
    let replayed_positions = receive_user_changes(&mut resumed, &replayed).await;
    assert_eq!(
        replayed_positions,
        positions[middle + 1..],
        "the replay must continue right after {}",
        positions[middle]
    );

    // Then live, without repeating anything replayed.
    ada.rename("Ada live").await;
    let live = ada.expected.last().expect("the live change").clone();
    let seen_live = receive_user_changes(&mut resumed, std::slice::from_ref(&live)).await;
    assert_eq!(
        receive_user_changes(&mut first, &[live]).await,
        seen_live,
        "both listeners see one position"
    );
    assert!(
        !positions.contains(&seen_live[0]),
        "a live change reused a position: {seen_live:?} in {positions:?}"
    );
}

async fn a_listener_resuming_after_a_position_over_graphql_transport_ws_misses_nothing(
    app: TestApp,
) {
    a_listener_resuming_after_a_position_gets_every_later_change_once_then_live_ones(
        app,
        Protocol::TransportWs,
    )
    .await;
}

async fn a_listener_resuming_after_a_position_over_the_legacy_protocol_misses_nothing(
    app: TestApp,
) {
    a_listener_resuming_after_a_position_gets_every_later_change_once_then_live_ones(
        app,
        Protocol::LegacyWs,
    )
    .await;
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        a_listener_resuming_after_a_position_over_graphql_transport_ws_misses_nothing,
        a_listener_resuming_after_a_position_over_the_legacy_protocol_misses_nothing,
    )
}
