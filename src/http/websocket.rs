//! GraphQL over WebSocket (`graphql-transport-ws` and the legacy `graphql-ws`), with the
//! caller authenticated from the `connection_init` payload.
//!
//! async-graphql's protocol machine rebuilds a rejected init's error from its message alone
//! (its code is lost) and closes `graphql-transport-ws` with 1002. Its output is therefore
//! pumped here, and that one message is replaced with the contract's: a 4403 close whose
//! reason starts with the code, or, on the legacy protocol, a `connection_error` whose
//! payload carries `extensions.code`.

use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::Data;
use async_graphql::http::{
    ALL_WEBSOCKET_PROTOCOLS, WebSocket as Protocol, WebSocketProtocols, WsMessage,
};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt, future};
use serde_json::json;
use uuid::Uuid;

use super::HttpState;
use crate::auth::{AuthError, Caller, TokenKeys};
use crate::event_log::Position;
use crate::graphql::{ClientError, RequestContext};

/// `graphql-transport-ws`' close code for a refused `connection_init`.
const FORBIDDEN: u16 = 4403;

pub(super) async fn upgrade(
    State(state): State<HttpState>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let Some(protocol) = requested_protocol(&headers) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| serve(socket, state, protocol))
}

/// The first GraphQL protocol the client offers in `Sec-WebSocket-Protocol`.
fn requested_protocol(headers: &HeaderMap) -> Option<WebSocketProtocols> {
    headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)?
        .to_str()
        .ok()?
        .split(',')
        .find_map(|offered| WebSocketProtocols::from_str(offered.trim()).ok())
}

async fn serve(socket: WebSocket, state: HttpState, protocol: WebSocketProtocols) {
    let (mut sink, stream) = socket.split();
    let incoming = stream
        .take_while(|message| future::ready(message.is_ok()))
        .filter_map(|message| {
            future::ready(match message {
                Ok(message @ (Message::Text(_) | Message::Binary(_))) => Some(message.into_data()),
                _ => None,
            })
        });
    let rejection = Arc::new(Mutex::new(None::<ClientError>));
    let rejected = rejection.clone();
    let keys = state.keys.clone();
    let outgoing = Protocol::new(state.schema.clone(), incoming, protocol)
        .on_connection_init(move |payload| async move {
            let caller = init_caller(&keys, &payload).map_err(|error| {
                let error = ClientError::from(&error);
                let message = error.message().to_owned();
                *rejected.lock().unwrap_or_else(PoisonError::into_inner) = Some(error);
                async_graphql::Error::new(message)
            })?;
            let mut data = Data::default();
            data.insert(RequestContext {
                caller,
                request_id: Uuid::now_v7().to_string(),
                read_at_least: Position::ORIGIN,
            });
            Ok(data)
        })
        .map(|message| {
            // The message right after a refused init is the library's rejection: ours instead.
            let refused = rejection
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            match (refused, message) {
                (Some(error), _) => rejection_message(protocol, &error),
                (None, WsMessage::Text(text)) => Message::Text(text.into()),
                (None, WsMessage::Close(code, reason)) => Message::Close(Some(CloseFrame {
                    code,
                    reason: reason.into(),
                })),
            }
        });
    futures_util::pin_mut!(outgoing);
    while let Some(message) = outgoing.next().await {
        if sink.send(message).await.is_err() {
            break;
        }
    }
}

/// The caller a `connection_init` payload stands for, from its `Authorization` entry
/// (whatever its case). No entry is an anonymous caller; an entry that is not a string (a
/// number, `null`, an object) is refused like a malformed header, never taken for no token.
fn init_caller(keys: &TokenKeys, payload: &serde_json::Value) -> Result<Caller, AuthError> {
    let entry = payload.as_object().and_then(|entries| {
        entries
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case("authorization"))
    });
    let authorization = entry
        .map(|(_, value)| value.as_str().ok_or(AuthError::Malformed))
        .transpose()?;
    keys.caller(authorization)
}

/// What the client gets for a refused `connection_init`, in its protocol.
fn rejection_message(protocol: WebSocketProtocols, error: &ClientError) -> Message {
    let code = error.code().as_str();
    match protocol {
        WebSocketProtocols::GraphQLWS => Message::Close(Some(CloseFrame {
            code: FORBIDDEN,
            reason: format!("{code}: {}", error.message()).into(),
        })),
        WebSocketProtocols::SubscriptionsTransportWS => {
            let payload = json!({ "message": error.message(), "extensions": { "code": code } });
            Message::Text(
                json!({ "type": "connection_error", "payload": payload })
                    .to_string()
                    .into(),
            )
        }
    }
}
