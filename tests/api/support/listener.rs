//! A `userChanged` listener that follows one instance of a [`Cluster`](super::cluster): an
//! unfiltered `graphql-transport-ws` subscription that records every change it receives and,
//! when its instance is killed, resubscribes on the restarted instance with `after` the last
//! position it saw, as a client resuming after a reconnect does.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::cluster::{ClusterView, Endpoint};
use super::graphql::user_changed;

/// How long `connection_init` may wait for its acknowledgement.
const ACK_TIMEOUT: Duration = Duration::from_secs(10);

/// One change as a listener received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SeenChange {
    pub(crate) position: String,
    pub(crate) user_id: String,
    pub(crate) event: String,
}

/// What a listener received, and what went wrong while its instance was up.
#[derive(Debug, Default)]
pub(crate) struct ListenerRecord {
    pub(crate) seen: Vec<SeenChange>,
    /// Subscriptions opened (the first, then one per resumption).
    pub(crate) subscriptions: u32,
    /// Why a subscription ended or could not be opened while its instance had not been
    /// killed: each is a failure of the server.
    pub(crate) failures: Vec<String>,
}

/// A listener following slot `index` of a cluster until stopped.
pub(crate) struct FollowingListener {
    record: Arc<Mutex<ListenerRecord>>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl FollowingListener {
    /// Subscribes on instance `index` with `after` (a position the test read before the
    /// changes it wants to see) and keeps following it.
    pub(crate) fn start(view: ClusterView, index: usize, after: String) -> Self {
        let record = Arc::new(Mutex::new(ListenerRecord::default()));
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(follow(view, index, after, record.clone(), stopped));
        Self { record, stop, task }
    }

    /// The position of the last change received so far.
    pub(crate) fn last_position(&self) -> Option<String> {
        let record = self.record.lock().expect("the record");
        record.seen.last().map(|change| change.position.clone())
    }

    /// Stops following and returns what was received.
    pub(crate) async fn stop(self) -> ListenerRecord {
        let _ = self.stop.send(true);
        self.task.await.expect("the listener task");
        Arc::try_unwrap(self.record)
            .expect("the task is done with the record")
            .into_inner()
            .expect("the record")
    }
}

async fn follow(
    view: ClusterView,
    index: usize,
    first_after: String,
    record: Arc<Mutex<ListenerRecord>>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut slot = view.watch(index);
    loop {
        // Wait until the instance is up.
        let state = loop {
            let state = slot.borrow_and_update().clone();
            if state.endpoint.is_some() {
                break state;
            }
            tokio::select! {
                _ = slot.changed() => {}
                _ = stopped.changed() => return,
            }
        };
        let Some(endpoint) = state.endpoint.clone() else {
            continue;
        };
        let after = record
            .lock()
            .expect("the record")
            .seen
            .last()
            .map_or_else(|| first_after.clone(), |change| change.position.clone());
        let ended = tokio::select! {
            ended = subscribe(&view, &endpoint, &after, &record) => ended,
            _ = stopped.changed() => return,
        };
        if !view.moved_since(index, state.generation) {
            let exited = view.exited(index).map_or_else(String::new, |status| {
                format!(" (yet its process exited: {status})")
            });
            record.lock().expect("the record").failures.push(format!(
                "the subscription on {} (generation {}, after {after}) ended while it was up{exited}: {ended}",
                view.name(index),
                state.generation
            ));
            // Resubscribe, as a client would, without spinning on a server that refuses.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// One subscription on its own socket, recording changes until it ends; returns why it ended.
async fn subscribe(
    view: &ClusterView,
    endpoint: &Endpoint,
    after: &str,
    record: &Mutex<ListenerRecord>,
) -> String {
    let url = format!("ws://127.0.0.1:{}/graphql/ws", endpoint.port);
    let mut request = url.into_client_request().expect("a ws request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().expect("a header value"),
    );
    let mut socket = match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => socket,
        Err(error) => return format!("the socket did not open: {error}"),
    };
    let init = json!({
        "type": "connection_init",
        "payload": { "Authorization": format!("Bearer {}", view.admin) },
    });
    if let Err(error) = socket.send(Message::text(init.to_string())).await {
        return format!("connection_init not sent: {error}");
    }
    match tokio::time::timeout(ACK_TIMEOUT, socket.next()).await {
        Ok(Some(Ok(Message::Text(text)))) if text.contains("connection_ack") => {}
        Ok(other) => return format!("no connection_ack: {other:?}"),
        Err(_) => return format!("no connection_ack within {ACK_TIMEOUT:?}"),
    }
    let subscription = json!({
        "id": "1",
        "type": "subscribe",
        "payload": {
            "query": user_changed("kind userId event position"),
            "variables": { "after": after },
        },
    });
    if let Err(error) = socket.send(Message::text(subscription.to_string())).await {
        return format!("subscribe not sent: {error}");
    }
    record.lock().expect("the record").subscriptions += 1;
    loop {
        let text = match socket.next().await {
            None => return "the socket ended".to_owned(),
            Some(Err(error)) => return format!("the socket failed: {error}"),
            Some(Ok(Message::Close(frame))) => return format!("closed by the server: {frame:?}"),
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(_)) => continue,
        };
        let message: Value = match serde_json::from_str(&text) {
            Ok(message) => message,
            Err(_) => return format!("not JSON: {text}"),
        };
        match message["type"].as_str() {
            Some("next") => {
                let payload = &message["payload"];
                let change = &payload["data"]["userChanged"];
                if payload.get("errors").is_some() || !change.is_object() {
                    return format!("a result with errors or without a change: {message}");
                }
                let field = |name: &str| change[name].as_str().unwrap_or_default().to_owned();
                record.lock().expect("the record").seen.push(SeenChange {
                    position: field("position"),
                    user_id: field("userId"),
                    event: field("event"),
                });
            }
            Some("ping") => {
                let pong = json!({ "type": "pong" }).to_string();
                if let Err(error) = socket.send(Message::text(pong)).await {
                    return format!("pong not sent: {error}");
                }
            }
            Some("pong" | "ka") => {}
            _ => return format!("the subscription ended: {message}"),
        }
    }
}
