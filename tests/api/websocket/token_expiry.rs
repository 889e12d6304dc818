//! A socket keeps no rights beyond its token's: when the token expires the socket is closed
//! with 4403 (on the legacy protocol, after an UNAUTHENTICATED `connection_error`), and
//! until then it serves as usual.

use std::time::Duration;

use libtest_mimic::Trial;
use rosterql::auth::Role;
use serde_json::json;
use tokio::time::Instant;

use crate::support::{Frame, TestApp, WsClient, keys, on_both_databases, user_changed};

/// How long the short-lived tokens live.
const LIFETIME: Duration = Duration::from_secs(2);

fn short_lived_admin_token() -> String {
    keys()
        .issue("short-lived", Role::Admin, LIFETIME)
        .expect("the token signs")
}

async fn a_socket_is_closed_with_4403_when_its_token_expires(app: TestApp) {
    let (acme, _) = app.acme_with_ada().await;
    let token = short_lived_admin_token();
    let issued = Instant::now();
    let variables = json!({ "organizationId": acme, "after": app.read_position().await });
    let mut socket = WsClient::subscribed(
        &app,
        Some(&token),
        &user_changed("event user { email }"),
        variables,
    )
    .await;
    // While the token is good, the admin socket reads emails.
    app.create_user(&acme, "grace@example.com", "Grace Hopper")
        .await;
    let change = socket.next_change("userChanged").await;
    assert_eq!(change["user"]["email"], "grace@example.com", "{change}");

    let (code, reason) = socket.close_frame().await;
    assert_eq!(code, 4403, "{reason}");
    assert!(reason.starts_with("UNAUTHENTICATED"), "{reason}");
    // Expiry is judged in whole seconds: the close comes at most a second early.
    let lived = issued.elapsed();
    assert!(
        lived + Duration::from_secs(1) >= LIFETIME && lived < LIFETIME + Duration::from_secs(3),
        "closed after {lived:?} for a token of {LIFETIME:?}"
    );
}

async fn a_legacy_socket_gets_unauthenticated_when_its_token_expires(app: TestApp) {
    let token = short_lived_admin_token();
    let mut socket = WsClient::connect_with(&app, "graphql-ws", Some(&token)).await;
    let error = loop {
        match socket.frame().await {
            Frame::Message(message) if message["type"] == "connection_error" => break message,
            Frame::Message(message) if message["type"] == "ka" => {}
            other => panic!("a connection_error, not {other:?}"),
        }
    };
    assert_eq!(
        error["payload"]["extensions"]["code"], "UNAUTHENTICATED",
        "{error}"
    );
    let (code, _) = socket.close_frame().await;
    assert_eq!(code, 4403);
}

async fn a_socket_without_a_token_is_never_closed_for_expiry(app: TestApp) {
    let mut socket = WsClient::connect(&app, None).await;
    tokio::time::sleep(LIFETIME + Duration::from_secs(1)).await;
    socket.subscribe("1", "{ __typename }", json!({})).await;
    assert_eq!(
        socket.next_data().await,
        json!({ "data": { "__typename": "Query" } })
    );
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        a_socket_is_closed_with_4403_when_its_token_expires,
        a_legacy_socket_gets_unauthenticated_when_its_token_expires,
        a_socket_without_a_token_is_never_closed_for_expiry,
    )
}
