//! The legacy `graphql-ws` protocol (`subscriptions-transport-ws`), run by async-graphql's
//! protocol machine.
//!
//! The machine rebuilds a rejected init's error from its message alone (its code is lost),
//! so its output is pumped here and that one message replaced with a `connection_error`
//! whose payload carries `extensions.code`. A socket whose token expires gets the same
//! `connection_error` (UNAUTHENTICATED) and is closed. A socket runs at most the configured
//! operations: a `start` beyond them gets an `error` (TOO_MANY_SUBSCRIPTIONS) and the socket
//! is closed, since the machine cannot be told to refuse one operation.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_graphql::Data;
use async_graphql::http::{WebSocket as Protocol, WebSocketProtocols, WsMessage};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::{SinkExt, StreamExt, future};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::callers::Place;
use super::{expiry, has_expired, init_caller};
use crate::auth::{AuthError, Caller};
use crate::event_log::Position;
use crate::graphql::{ClientError, RequestContext};
use crate::http::HttpState;

/// The close code after a `connection_error`: the socket's caller was refused.
const FORBIDDEN: u16 = 4403;

/// How long the answer to a client's close frame may take.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// The close code when the server shuts down.
const GOING_AWAY: u16 = 1001;

/// The close code after a `start` beyond the operations a socket may run.
const POLICY_VIOLATION: u16 = 1008;

/// What `connection_init` decided, shared between the protocol machine and the pump.
#[derive(Default)]
struct Decision {
    /// A refusal not yet sent.
    refused: Option<ClientError>,
    /// When the accepted token expires (Unix seconds).
    expires_at: Option<i64>,
}

/// A message's type and id, all the pump reads of it.
#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    id: Option<String>,
}

impl Envelope {
    fn read(frame: &[u8]) -> Option<Self> {
        serde_json::from_slice(frame).ok()
    }
}

/// The operations a socket runs, from the client's `start` and `stop` and the server's
/// `complete`; and the first `start` refused for going beyond the most it may.
struct Operations {
    running: HashSet<String>,
    most: usize,
    refused: Option<String>,
}

impl Operations {
    /// Whether the client's `frame` may reach the machine.
    fn admit(&mut self, frame: &[u8]) -> bool {
        let Some(Envelope { kind, id: Some(id) }) = Envelope::read(frame) else {
            return true;
        };
        match kind.as_str() {
            "start" if !self.running.contains(&id) && self.running.len() >= self.most => {
                self.refused = Some(id);
                false
            }
            "start" => {
                self.running.insert(id);
                true
            }
            "stop" => {
                self.running.remove(&id);
                true
            }
            _ => true,
        }
    }

    /// Notes the server's `frame`: a `complete` ends its operation.
    fn sent(&mut self, frame: &str) {
        if let Some(Envelope { kind, id: Some(id) }) = Envelope::read(frame.as_bytes())
            && kind == "complete"
        {
            self.running.remove(&id);
        }
    }
}

fn lock<T>(shared: &Mutex<T>) -> MutexGuard<'_, T> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Serves the socket; `_place` holds its place among its client address's sockets.
pub(super) async fn serve(socket: WebSocket, state: HttpState, _place: Place) {
    let (mut sink, stream) = socket.split();
    let operations = Arc::new(Mutex::new(Operations {
        running: HashSet::new(),
        most: state.websockets.config.max_subscriptions,
        refused: None,
    }));
    let admitted = operations.clone();
    let incoming = stream
        .take_while(|message| future::ready(message.is_ok()))
        .filter_map(|message| {
            future::ready(match message {
                Ok(message @ (Message::Text(_) | Message::Binary(_))) => Some(message.into_data()),
                _ => None,
            })
        })
        .take_while(move |frame| future::ready(lock(&admitted).admit(frame)));
    let decision = Arc::new(Mutex::new(Decision::default()));
    let decided = decision.clone();
    let keys = state.keys.clone();
    let outgoing = Protocol::new(
        state.schema.clone(),
        incoming,
        WebSocketProtocols::SubscriptionsTransportWS,
    )
    .on_connection_init(move |payload| async move {
        let mut decision = lock(&decided);
        let caller = init_caller(&keys, payload.as_object()).map_err(|error| {
            let error = ClientError::from(&error);
            let message = error.message().to_owned();
            decision.refused = Some(error);
            async_graphql::Error::new(message)
        })?;
        if let Caller::Authenticated { expires_at, .. } = &caller {
            decision.expires_at = Some(*expires_at);
        }
        let mut data = Data::default();
        data.insert(RequestContext {
            caller,
            request_id: Uuid::now_v7().to_string(),
            read_at_least: Position::ORIGIN,
            idempotency_key: None,
        });
        Ok(data)
    });
    futures_util::pin_mut!(outgoing);
    loop {
        let expires_at = lock(&decision).expires_at;
        let message = tokio::select! {
            message = outgoing.next() => match message {
                Some(message) => message,
                None => {
                    let refused = lock(&operations).refused.take();
                    if let Some(id) = refused {
                        let most = state.websockets.config.max_subscriptions;
                        let error = ClientError::too_many_subscriptions(most);
                        let _ = sink.send(operation_error(&id, &error)).await;
                        let _ = sink.send(close(POLICY_VIOLATION, &error)).await;
                    }
                    // Answers a client's close frame (one dropped unanswered is a 1006).
                    let _ = tokio::time::timeout(CLOSE_GRACE, sink.close()).await;
                    return;
                }
            },
            () = state.draining.started() => {
                let going_away = Message::Close(Some(CloseFrame {
                    code: GOING_AWAY,
                    reason: "the server is shutting down".into(),
                }));
                let _ = sink.send(going_away).await;
                let _ = tokio::time::timeout(CLOSE_GRACE, sink.close()).await;
                return;
            }
            () = expiry(expires_at), if expires_at.is_some() => {
                if !expires_at.is_some_and(has_expired) {
                    continue;
                }
                let error = ClientError::from(&AuthError::InvalidToken);
                let _ = sink.send(connection_error(&error)).await;
                let _ = sink.send(close(FORBIDDEN, &error)).await;
                return;
            }
        };
        // The message right after a refused init is the library's rejection: ours instead.
        let refused = lock(&decision).refused.take();
        let message = match (refused, message) {
            (Some(error), _) => connection_error(&error),
            (None, WsMessage::Text(text)) => {
                lock(&operations).sent(&text);
                Message::Text(text.into())
            }
            (None, WsMessage::Close(code, reason)) => Message::Close(Some(CloseFrame {
                code,
                reason: reason.into(),
            })),
        };
        if sink.send(message).await.is_err() {
            return;
        }
    }
}

/// A `connection_error` whose payload carries the error's code.
fn connection_error(error: &ClientError) -> Message {
    let payload = json!({
        "message": error.message(),
        "extensions": { "code": error.code().as_str() },
    });
    Message::Text(
        json!({ "type": "connection_error", "payload": payload })
            .to_string()
            .into(),
    )
}

/// An `error` for operation `id`, carrying the error's code.
fn operation_error(id: &str, error: &ClientError) -> Message {
    let payload = json!([{
        "message": error.message(),
        "extensions": { "code": error.code().as_str() },
    }]);
    Message::Text(
        json!({ "type": "error", "id": id, "payload": payload })
            .to_string()
            .into(),
    )
}

fn close(code: u16, error: &ClientError) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: error.code().as_str().into(),
    }))
}
