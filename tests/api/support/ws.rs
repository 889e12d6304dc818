//! A GraphQL over WebSocket client.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::TestApp;
use super::app::WAIT;

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
        let mut client = Self::open(app, protocol).await;
        let payload = match token {
            Some(token) => json!({ "Authorization": format!("Bearer {token}") }),
            None => json!({}),
        };
        client
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        let ack = client
            .receive()
            .await
            .expect("an answer to connection_init");
        assert_eq!(ack["type"], "connection_ack", "{ack}");
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

    /// The next JSON message (pings are answered and skipped); None when the socket closed.
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
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return Some(value);
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
}
