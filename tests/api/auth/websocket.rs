//! Tokens on WebSocket: `connection_init` carries the token; a good one is acknowledged and
//! decides what the subscription may read, a bad one (or an `Authorization` that is no
//! string) is refused as the protocol says: a close frame 4403 on `graphql-transport-ws`, a
//! coded `connection_error` on `graphql-ws`.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use libtest_mimic::Trial;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::helpers::{bad_authorizations, forbidden_paths};
use crate::support::{TestApp, WsClient, on_both_databases, user_changed};

const WAIT: Duration = Duration::from_secs(15);

/// What the server did after a `connection_init`, read off the raw socket.
#[derive(Debug)]
enum Reply {
    /// A text message (pings and keep-alives aside).
    Message(Value),
    /// A close frame, with its code and reason.
    Closed(u16, String),
    /// A close frame without a code.
    ClosedWithoutCode,
    /// The connection ended without a close frame (or with a transport error).
    Dropped(String),
}

/// Opens a raw socket speaking `protocol`, sends `connection_init` with `payload` and returns
/// the server's first reply, telling a close frame from a dropped connection.
async fn raw_reply_to_init(app: &TestApp, protocol: &str, payload: Value) -> Reply {
    let mut request = app.ws_url().into_client_request().expect("a ws request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        protocol.parse().expect("a header value"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("the socket opens");
    let init = json!({ "type": "connection_init", "payload": payload });
    socket
        .send(Message::text(init.to_string()))
        .await
        .expect("the socket sends");
    loop {
        let next = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("a reply within the wait");
        match next {
            None => return Reply::Dropped("the stream ended".to_owned()),
            Some(Err(error)) => return Reply::Dropped(error.to_string()),
            Some(Ok(Message::Text(text))) => {
                let value: Value = serde_json::from_str(&text).expect("a JSON message");
                if value["type"] != "ping" && value["type"] != "ka" {
                    return Reply::Message(value);
                }
            }
            Some(Ok(Message::Close(Some(frame)))) => {
                return Reply::Closed(u16::from(frame.code), frame.reason.to_string());
            }
            Some(Ok(Message::Close(None))) => return Reply::ClosedWithoutCode,
            Some(Ok(_)) => {}
        }
    }
}

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

async fn a_websocket_initialised_with_an_admin_token_or_none_is_acknowledged(app: TestApp) {
    let admin = format!("Bearer {}", app.admin);
    for protocol in ["graphql-transport-ws", "graphql-ws"] {
        for authorization in [Some(admin.as_str()), None] {
            let answer = answer_to_init(&app, protocol, authorization).await;
            assert!(
                is(&answer, "connection_ack"),
                "{protocol}, {authorization:?}: {answer:?}"
            );
        }
    }
}

/// Every `Authorization` entry of a `connection_init` the contract refuses: the bad header
/// values, and entries that are no string at all.
fn bad_init_authorizations() -> Vec<(&'static str, Value)> {
    let mut bad: Vec<(&str, Value)> = bad_authorizations()
        .into_iter()
        .map(|(what, authorization)| (what, Value::String(authorization)))
        .collect();
    bad.extend([
        ("a number", json!(42)),
        ("null", Value::Null),
        ("a boolean", json!(true)),
        ("an object", json!({ "token": "Bearer garbage" })),
        ("a list", json!(["Bearer garbage"])),
    ]);
    bad
}

async fn a_bad_token_on_graphql_transport_ws_is_closed_with_4403_unauthenticated(app: TestApp) {
    for (what, authorization) in bad_init_authorizations() {
        let payload = json!({ "Authorization": authorization });
        let reply = raw_reply_to_init(&app, "graphql-transport-ws", payload).await;
        match &reply {
            Reply::Closed(code, reason) => {
                assert_eq!(*code, 4403, "{what}: {reply:?}");
                assert!(
                    reason.starts_with("UNAUTHENTICATED"),
                    "{what}: the close reason {reason:?}"
                );
            }
            Reply::Dropped(error) => {
                panic!("{what}: the connection dropped without a close frame: {error}")
            }
            other => panic!("{what}: a close frame 4403, not {other:?}"),
        }
    }
}

async fn a_bad_token_on_legacy_graphql_ws_gets_a_coded_connection_error(app: TestApp) {
    for (what, authorization) in bad_init_authorizations() {
        let payload = json!({ "Authorization": authorization });
        let reply = raw_reply_to_init(&app, "graphql-ws", payload).await;
        let Reply::Message(message) = &reply else {
            panic!("{what}: a connection_error message, not {reply:?}");
        };
        assert_eq!(message["type"], "connection_error", "{what}: {message}");
        let payload = &message["payload"];
        let code = payload["extensions"]["code"]
            .as_str()
            .or_else(|| payload[0]["extensions"]["code"].as_str());
        assert_eq!(code, Some("UNAUTHENTICATED"), "{what}: {message}");
    }
}

async fn an_anonymous_websocket_streams_null_emails_with_forbidden(app: TestApp) {
    let (acme, _) = app.acme_with_ada().await;
    let variables = json!({ "organizationId": acme, "after": app.read_position().await });
    let mut socket = WsClient::subscribed(
        &app,
        None,
        &user_changed("event user { name email }"),
        variables,
    )
    .await;
    app.create_user(&acme, "grace@example.com", "Grace Hopper")
        .await;
    let payload = socket.next_data().await;
    assert_eq!(
        payload["data"]["userChanged"]["event"], "UserCreated",
        "{payload}"
    );
    assert_eq!(
        payload["data"]["userChanged"]["user"],
        json!({ "name": "Grace Hopper", "email": null })
    );
    assert_eq!(
        forbidden_paths(&payload),
        [json!(["userChanged", "user", "email"])]
    );
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        a_websocket_initialised_with_an_admin_token_streams_emails,
        a_websocket_initialised_with_a_viewer_token_streams_null_emails_with_forbidden,
        a_websocket_initialised_with_an_admin_token_or_none_is_acknowledged,
        a_bad_token_on_graphql_transport_ws_is_closed_with_4403_unauthenticated,
        a_bad_token_on_legacy_graphql_ws_gets_a_coded_connection_error,
        an_anonymous_websocket_streams_null_emails_with_forbidden,
    )
}
