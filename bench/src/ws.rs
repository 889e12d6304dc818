//! A minimal GraphQL over WebSocket client (`graphql-transport-ws`, as the service's own
//! tests speak it): open, `connection_init`, `subscribe`, and read messages, answering the
//! server's pings.

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub(crate) struct WsClient {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl WsClient {
    /// Opens `url` and completes `connection_init` (with a bearer token when given).
    pub(crate) async fn connect(url: &str, token: Option<&str>) -> anyhow::Result<Self> {
        let mut request = url.into_client_request()?;
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .with_context(|| format!("opening {url}"))?;
        let mut client = Self { socket };
        let payload = match token {
            Some(token) => json!({ "Authorization": format!("Bearer {token}") }),
            None => json!({}),
        };
        client
            .send(&json!({ "type": "connection_init", "payload": payload }))
            .await?;
        match client.receive().await? {
            Some(ack) if ack["type"] == "connection_ack" => Ok(client),
            other => bail!("connection_init was answered with {other:?}"),
        }
    }

    /// The socket itself, for a reader that handles messages its own way.
    pub(crate) fn into_socket(self) -> WebSocketStream<MaybeTlsStream<TcpStream>> {
        self.socket
    }

    pub(crate) async fn send(&mut self, message: &Value) -> anyhow::Result<()> {
        self.socket.send(Message::text(message.to_string())).await?;
        Ok(())
    }

    pub(crate) async fn subscribe(&mut self, id: &str, query: &str) -> anyhow::Result<()> {
        self.send(&json!({ "id": id, "type": "subscribe", "payload": { "query": query } }))
            .await
    }

    /// The next message other than ping, pong and keep-alive; None once the socket closed.
    pub(crate) async fn receive(&mut self) -> anyhow::Result<Option<Value>> {
        while let Some(message) = self.socket.next().await {
            match message? {
                Message::Text(text) => {
                    let value: Value = serde_json::from_str(&text)?;
                    match value["type"].as_str() {
                        Some("ping") => self.send(&json!({ "type": "pong" })).await?,
                        Some("pong") | Some("ka") => {}
                        _ => return Ok(Some(value)),
                    }
                }
                Message::Close(_) => return Ok(None),
                _ => {}
            }
        }
        Ok(None)
    }
}
