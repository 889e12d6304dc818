//! Tokens on WebSocket: `connection_init` carries the token; a good one is acknowledged and
//! decides what the subscription may read, a bad one gets no `connection_ack`.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use libtest_mimic::Trial;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::helpers::{acme_with_ada, bad_authorizations, forbidden_paths};
use crate::support::{TestApp, WsClient, on_both_databases};

/// A `userChanged` subscription selecting the email.
const USER_CHANGED: &str = "subscription($organization: ID, $after: String) {
    userChanged(organizationId: $organization, after: $after) { event user { name email } } }";

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What a socket said next, pings and keep-alives aside.
#[derive(Debug)]
enum Answer {
    Message(Value),
    /// The socket closed (the close code is asserted by the WebSocket hardening issue).
    Closed,
}

impl Answer {
    fn is(&self, message_type: &str) -> bool {
        matches!(self, Self::Message(message) if message["type"] == message_type)
    }
}

/// The socket's next answer within `wait` (None: it said nothing); pings are answered.
async fn next_answer(socket: &mut Socket, wait: Duration) -> Option<Answer> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let next = tokio::time::timeout_at(deadline, socket.next())
            .await
            .ok()?;
        match next {
            Some(Ok(Message::Text(text))) => {
                let message: Value = serde_json::from_str(&text).expect("a JSON message");
                if message["type"] == "ping" {
                    let pong = json!({ "type": "pong" }).to_string();
                    let _ = socket.send(Message::text(pong)).await;
                } else if message["type"] != "ka" {
                    return Some(Answer::Message(message));
                }
            }
            Some(Ok(Message::Close(_))) => return Some(Answer::Closed),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return Some(Answer::Closed),
        }
    }
}

/// Opens a socket speaking `protocol` and sends `connection_init` carrying `authorization`
/// (None: an empty payload); returns the socket and its first answer.
async fn init_socket(
    app: &TestApp,
    protocol: &str,
    authorization: Option<&str>,
) -> (Socket, Answer) {
    let mut request = app.ws_url().into_client_request().expect("a ws request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        protocol.parse().expect("a header value"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("the socket opens");
    let payload =
        authorization.map_or_else(|| json!({}), |value| json!({ "Authorization": value }));
    let init = json!({ "type": "connection_init", "payload": payload });
    socket
        .send(Message::text(init.to_string()))
        .await
        .expect("the socket sends");
    let answer = next_answer(&mut socket, Duration::from_secs(15))
        .await
        .expect("an answer to connection_init in time");
    (socket, answer)
}

async fn answer_to_init(app: &TestApp, protocol: &str, authorization: Option<&str>) -> Answer {
    init_socket(app, protocol, authorization).await.1
}

/// A `userChanged` subscription on `organization_id` over a socket initialised with `token`,
/// then a new user there; returns the subscription's payload for that user.
async fn user_created_as_seen_over_websocket_by(
    app: &TestApp,
    token: &str,
    organization_id: &str,
) -> Value {
    app.settle().await;
    let position =
        app.gql("{ readModel { position } }", json!({})).await["data"]["readModel"]["position"]
            .clone();
    let mut socket = WsClient::connect(app, Some(token)).await;
    socket
        .subscribe(
            "1",
            USER_CHANGED,
            json!({ "organization": organization_id, "after": position }),
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
    let (acme, _) = acme_with_ada(&app).await;
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
    let (acme, _) = acme_with_ada(&app).await;
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
                answer.is("connection_ack"),
                "{protocol}, {authorization:?}: {answer:?}"
            );
        }
        for (what, authorization) in bad_authorizations() {
            let answer = answer_to_init(&app, protocol, Some(&authorization)).await;
            let refused = matches!(answer, Answer::Closed) || answer.is("connection_error");
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
