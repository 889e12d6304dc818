//! Tokens on WebSocket: `connection_init` carries the token; a good one is acknowledged and
//! decides what the subscription may read, a bad one gets no `connection_ack`.

use libtest_mimic::Trial;
use serde_json::{Value, json};

use super::helpers::{bad_authorizations, forbidden_paths};
use crate::support::{TestApp, WsClient, on_both_databases, user_changed};

/// What a socket answers to a `connection_init` carrying `authorization` (None: an empty
/// payload), over `protocol`: its first message, pings and keep-alives aside, or None when
/// it closed (the close code is asserted by the WebSocket hardening issue).
async fn answer_to_init(
    app: &TestApp,
    protocol: &str,
    authorization: Option<&str>,
) -> Option<Value> {
    let payload =
        authorization.map_or_else(|| json!({}), |value| json!({ "Authorization": value }));
    WsClient::init(app, protocol, payload).await.1
}

/// Whether `answer` is a message of `message_type`.
fn is(answer: &Option<Value>, message_type: &str) -> bool {
    answer
        .as_ref()
        .is_some_and(|message| message["type"] == message_type)
}

/// A `userChanged` subscription on `organization_id` over a socket initialised with `token`,
/// then a new user there; returns the subscription's payload for that user.
async fn user_created_as_seen_over_websocket_by(
    app: &TestApp,
    token: &str,
    organization_id: &str,
) -> Value {
    let variables =
        json!({ "organizationId": organization_id, "after": app.read_position().await });
    let mut socket = WsClient::subscribed(
        app,
        Some(token),
        &user_changed("event user { name email }"),
        variables,
    )
    .await;
    app.create_user(organization_id, "grace@example.com", "Grace Hopper")
        .await;
    let payload = socket.next_data().await;
    assert_eq!(
        payload["data"]["userChanged"]["event"], "UserCreated",
        "{payload}"
    );
    payload
}

async fn a_websocket_initialised_with_an_admin_token_streams_emails(app: TestApp) {
    let (acme, _) = app.acme_with_ada().await;
    let payload = user_created_as_seen_over_websocket_by(&app, &app.admin, &acme).await;
    assert!(payload.get("errors").is_none(), "{payload}");
    assert_eq!(
        payload["data"]["userChanged"]["user"],
        json!({ "name": "Grace Hopper", "email": "grace@example.com" })
    );
}

async fn a_websocket_initialised_with_a_viewer_token_streams_null_emails_with_forbidden(
    app: TestApp,
) {
    let (acme, _) = app.acme_with_ada().await;
    let payload = user_created_as_seen_over_websocket_by(&app, &app.viewer, &acme).await;
    assert_eq!(
        payload["data"]["userChanged"]["user"],
        json!({ "name": "Grace Hopper", "email": null })
    );
    assert_eq!(
        forbidden_paths(&payload),
        [json!(["userChanged", "user", "email"])]
    );
}

async fn a_websocket_initialised_with_a_bad_token_gets_no_connection_ack(app: TestApp) {
    let admin = format!("Bearer {}", app.admin);
    for protocol in ["graphql-transport-ws", "graphql-ws"] {
        for authorization in [Some(admin.as_str()), None] {
            let answer = answer_to_init(&app, protocol, authorization).await;
            assert!(
                is(&answer, "connection_ack"),
                "{protocol}, {authorization:?}: {answer:?}"
            );
        }
        for (what, authorization) in bad_authorizations() {
            let answer = answer_to_init(&app, protocol, Some(&authorization)).await;
            let refused = answer.is_none() || is(&answer, "connection_error");
            assert!(refused, "{protocol} with {what}: {answer:?}");
        }
    }
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        a_websocket_initialised_with_an_admin_token_streams_emails,
        a_websocket_initialised_with_a_viewer_token_streams_null_emails_with_forbidden,
        a_websocket_initialised_with_a_bad_token_gets_no_connection_ack,
    )
}
