//! A GraphQL over WebSocket client.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::app::WAIT;
use super::{TestApp, assert_no_errors};

pub(crate) struct WsClient {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl WsClient {
    /// Opens a socket speaking `protocol` (`graphql-transport-ws` or `graphql-ws`).
    pub(crate) async fn open(app: &TestApp, protocol: &str) -> Self {
        let mut request = app.ws_url().into_client_request().expect("a ws request");
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            protocol.parse().expect("a header value"),
        );
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("the socket opens");
        Self { socket }
    }

    /// Opens a `graphql-transport-ws` socket and completes `connection_init` with `token`.
    pub(crate) async fn connect(app: &TestApp, token: Option<&str>) -> Self {
        Self::connect_with(app, "graphql-transport-ws", token).await
    }

    /// Opens a socket speaking `protocol` and completes `connection_init` with `token`.
    pub(crate) async fn connect_with(app: &TestApp, protocol: &str, token: Option<&str>) -> Self {
        let payload = match token {
            Some(token) => json!({ "Authorization": format!("Bearer {token}") }),
            None => json!({}),
        };
        let (client, ack) = Self::init(app, protocol, payload).await;
        let ack = ack.expect("an answer to connection_init");
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        client
    }

    /// Opens a socket speaking `protocol` and sends `connection_init` with `payload`;
    /// returns the socket and its answer (None: the socket closed).
    pub(crate) async fn init(
        app: &TestApp,
        protocol: &str,
        payload: Value,
    ) -> (Self, Option<Value>) {
        let mut client = Self::open(app, protocol).await;
        client
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        let answer = client.receive().await;
        (client, answer)
    }

    /// A `graphql-transport-ws` socket initialised with `token`, subscribed to `query`.
    pub(crate) async fn subscribed(
        app: &TestApp,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Self {
        let mut client = Self::connect(app, token).await;
        client.subscribe("1", query, variables).await;
        client
    }

    pub(crate) async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .expect("the socket sends");
    }

    pub(crate) async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// The next JSON message (pings are answered, and they and keep-alives skipped); None
    /// when the socket closed.
    pub(crate) async fn receive(&mut self) -> Option<Value> {
        loop {
            let message = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("a message within the wait")?
                .ok()?;
            match message {
                Message::Text(text) => {
                    let value: Value = serde_json::from_str(&text).expect("a JSON message");
                    if value["type"] == "ping" {
                        // A socket closing meanwhile shows on the next read.
                        let pong = json!({ "type": "pong" }).to_string();
                        let _ = self.socket.send(Message::text(pong)).await;
                    } else if value["type"] != "ka" {
                        return Some(value);
                    }
                }
                Message::Close(_) => return None,
                _ => continue,
            }
        }
    }

    /// The payload of the next `next` (or legacy `data`) message.
    pub(crate) async fn next_data(&mut self) -> Value {
        let message = self.receive().await.expect("a message");
        assert!(
            message["type"] == "next" || message["type"] == "data",
            "expected data, got {message}"
        );
        message["payload"].clone()
    }

    /// The next change under `field` (`userChanged`, …), which must come without errors.
    pub(crate) async fn next_change(&mut self, field: &str) -> Value {
        let payload = self.next_data().await;
        assert_no_errors(&payload);
        payload["data"][field].clone()
    }
}
