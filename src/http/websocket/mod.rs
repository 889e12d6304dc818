//! GraphQL over WebSocket at `/graphql/ws`: the upgrade, the choice of protocol, the caller
//! a `connection_init` stands for, and what every socket is held to.
//!
//! `graphql-transport-ws` (the `graphql-ws` library's protocol) is driven by [`transport`],
//! with its close codes, pings and the token's expiry; the legacy `graphql-ws` protocol by
//! async-graphql's machine in [`legacy`]. Each socket holds a place among its caller's
//! connections ([`callers`]): by client address until `connection_init` names a token's
//! subject. Once shutdown starts, every socket is closed with 1001 (going away).

mod callers;
mod closing;
mod legacy;
mod messages;
mod operation;
mod transport;

use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocketProtocols};
use axum::extract::{ConnectInfo, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Map, Value};

use self::callers::Callers;
use super::HttpState;
use super::caller_key::CallerKey;
use crate::auth::{AuthError, Caller, TokenKeys};
use crate::config::WebSocketConfig;

/// The longest a socket's expiry clock sleeps before it looks at the time again.
const LONGEST_EXPIRY_WAIT: Duration = Duration::from_secs(24 * 3600);

/// What every WebSocket shares: its settings and the count of each caller's sockets.
pub(super) struct WebSockets {
    config: WebSocketConfig,
    callers: Callers,
}

impl WebSockets {
    pub(super) fn new(config: WebSocketConfig) -> Self {
        let callers = Callers::new(config.max_connections_per_caller);
        Self { config, callers }
    }
}

pub(super) async fn upgrade(
    State(state): State<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let Some(protocol) = requested_protocol(&headers) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let Some(place) = state
        .websockets
        .callers
        .admit(CallerKey::Address(peer.ip()))
    else {
        let most = state.websockets.config.max_connections_per_caller;
        let refusal = format!("TOO_MANY_CONNECTIONS: at most {most} WebSockets per caller");
        return (StatusCode::TOO_MANY_REQUESTS, refusal).into_response();
    };
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(state.max_body_bytes)
        .on_upgrade(move |socket| async move {
            let _open = state.draining.websocket();
            let open = metrics::gauge!("rosterql_websocket_connections");
            open.increment(1.0);
            match protocol {
                WebSocketProtocols::GraphQLWS => {
                    transport::serve(socket, state, place, peer.ip()).await
                }
                WebSocketProtocols::SubscriptionsTransportWS => {
                    legacy::serve(socket, state, place).await;
                }
            }
            open.decrement(1.0);
        })
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

/// The caller a `connection_init` payload stands for, from its `Authorization` entry
/// (whatever its case). No entry is an anonymous caller; an entry that is not a string (a
/// number, `null`, an object) is refused like a malformed header, never taken for no token.
fn init_caller(
    keys: &TokenKeys,
    payload: Option<&Map<String, Value>>,
) -> Result<Caller, AuthError> {
    let entry = payload.and_then(|entries| {
        entries
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case("authorization"))
    });
    let authorization = entry
        .map(|(_, value)| value.as_str().ok_or(AuthError::Malformed))
        .transpose()?;
    keys.caller(authorization)
}

/// Resolves when a token expiring at `expires_at` (Unix seconds) may have expired: then, or
/// after [`LONGEST_EXPIRY_WAIT`] for the caller to look again ([`has_expired`]). Never,
/// without a token.
async fn expiry(expires_at: Option<i64>) {
    let Some(expires_at) = expires_at else {
        return std::future::pending().await;
    };
    let remaining = expires_at
        .saturating_mul(1000)
        .saturating_sub(Utc::now().timestamp_millis());
    let remaining = Duration::from_millis(u64::try_from(remaining).unwrap_or(0));
    tokio::time::sleep(remaining.min(LONGEST_EXPIRY_WAIT)).await;
}

/// Whether a token expiring at `expires_at` (Unix seconds) has expired: a socket keeps no
/// rights beyond its token's.
fn has_expired(expires_at: i64) -> bool {
    Utc::now().timestamp_millis() >= expires_at.saturating_mul(1000)
}
