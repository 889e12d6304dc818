//! A GraphQL over WebSocket client.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::app::WAIT;
use super::{TestApp, assert_no_errors};

/// What came next over a socket, pings included and unanswered.
#[derive(Debug)]
pub(crate) enum Frame {
    /// A text message.
    Message(Value),
    /// A close frame: its code and reason (1005 for none).
    Closed(u16, String),
    /// The connection ended without a close frame (or with a transport error).
    Dropped(String),
}

pub(crate) struct WsClient {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl WsClient {
    /// Opens a socket speaking `protocol` (`graphql-transport-ws` or `graphql-ws`).
    pub(crate) async fn open(app: &TestApp, protocol: &str) -> Self {
        match Self::try_open(app, protocol).await {
            Ok(client) => client,
            Err(status) => panic!("the upgrade was refused with {status}"),
        }
    }

    /// Opens a socket speaking `protocol`, or returns the HTTP status the upgrade was
    /// refused with.
    pub(crate) async fn try_open(app: &TestApp, protocol: &str) -> Result<Self, u16> {
        let mut request = app.ws_url().into_client_request().expect("a ws request");
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            protocol.parse().expect("a header value"),
        );
        match tokio_tungstenite::connect_async(request).await {
            Ok((socket, _)) => Ok(Self { socket }),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                Err(response.status().as_u16())
            }
            Err(error) => panic!("the socket did not open: {error}"),
        }
    }

    /// Opens a `graphql-transport-ws` socket whose receive buffer is as small as the system
    /// allows, so that what the server sends backs up as soon as the client stops reading.
    pub(crate) async fn open_with_small_receive_buffer(app: &TestApp) -> Self {
        let tcp = TcpSocket::new_v4().expect("a socket");
        // The system rounds it up to its smallest.
        tcp.set_recv_buffer_size(1).expect("a receive buffer size");
        let stream = tcp
            .connect(([127, 0, 0, 1], app.port).into())
            .await
            .expect("the server accepts");
        let mut request = app.ws_url().into_client_request().expect("a ws request");
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            "graphql-transport-ws".parse().expect("a header value"),
        );
        let (socket, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream))
            .await
            .expect("the socket opens");
        Self { socket }
    }

    /// Lets the receive window of a socket opened with a small receive buffer grow again, so
    /// that what the server queued while it was small is read at loopback speed: through a
    /// window of a few bytes, a backlog of hundreds of kilobytes takes minutes, and the
    /// server's system may give up on delivering it first.
    pub(crate) fn widen_receive_buffer(&self) {
        if let MaybeTlsStream::Plain(tcp) = self.socket.get_ref() {
            socket2::SockRef::from(tcp)
                .set_recv_buffer_size(4 << 20)
                .expect("a receive buffer size");
        }
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
        self.send_text(&message.to_string()).await;
    }

    /// Sends `text` as it is, JSON or not.
    pub(crate) async fn send_text(&mut self, text: &str) {
        self.socket
            .send(Message::text(text))
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

    /// The next frame as it comes: pings are neither answered nor skipped.
    pub(crate) async fn frame(&mut self) -> Frame {
        loop {
            let next = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("a frame within the wait");
            return match next {
                None => Frame::Dropped("the stream ended".to_owned()),
                Some(Err(error)) => Frame::Dropped(error.to_string()),
                Some(Ok(Message::Text(text))) => {
                    Frame::Message(serde_json::from_str(&text).expect("a JSON message"))
                }
                Some(Ok(Message::Close(frame))) => frame.map_or_else(
                    || Frame::Closed(1005, String::new()),
                    |frame| Frame::Closed(u16::from(frame.code), frame.reason.to_string()),
                ),
                Some(Ok(_)) => continue,
            };
        }
    }

    /// The close frame the server sends next, messages before it skipped (pings unanswered):
    /// its code and reason.
    pub(crate) async fn close_frame(&mut self) -> (u16, String) {
        loop {
            match self.frame().await {
                Frame::Message(_) => {}
                Frame::Closed(code, reason) => return (code, reason),
                Frame::Dropped(error) => panic!("no close frame, the connection dropped: {error}"),
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
