//! What every GraphQL request over HTTP is checked for before it runs: its method, its
//! batch size, its bearer token, its caller's budget, its idempotency key and its
//! consistency token. A request comes out as the [`RequestContext`] its resolvers see, or
//! as a [`Refusal`], answered here.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use async_graphql::{BatchRequest, ParseRequestError};
use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use http_body_util::LengthLimitError;
use uuid::Uuid;

use super::HttpState;
use super::idempotency_key::idempotency_key;
use super::negotiation::MediaType;
use super::rate_limits::{Limited, Operations};
use super::reply::reply_with;
use crate::auth::AuthError;
use crate::event_log::Position;
use crate::graphql::{ClientError, ErrorCode, RequestContext};
use crate::query::QueryError;

const CONSISTENCY_TOKEN: &str = "x-consistency-token";
const REQUEST_ID: &str = "x-request-id";
/// The media types a POST may carry (RFC 7694), sent with a 415.
const ACCEPT_POST: HeaderName = HeaderName::from_static("accept-post");

/// Why a request was refused before it ran. Its code is [`ClientError`]'s decision; its
/// HTTP status is this module's.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error(
        "the request is not a GraphQL request: a query string, and optionally an \
         operationName string and variables and extensions maps"
    )]
    Unreadable,
    #[error("a GraphQL request must be sent as application/json in UTF-8")]
    UnsupportedMediaType,
    #[error(
        "GraphQL responses are application/graphql-response+json or application/json, in UTF-8"
    )]
    NotAcceptable,
    #[error("the request body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("mutations must be sent with POST")]
    MutationOverGet,
    #[error("a batch may hold at most {0} operations")]
    BatchTooLarge(usize),
    #[error(transparent)]
    BadToken(AuthError),
    #[error(
        "too many {} from this caller: try again in {} s",
        .0.budget.as_str(),
        retry_after_seconds(.0)
    )]
    RateLimited(Limited),
    #[error("Idempotency-Key must be 1 to 255 visible ASCII characters")]
    BadIdempotencyKey,
    #[error("an Idempotency-Key applies to a single request, not to a batch")]
    IdempotencyKeyOnBatch,
    #[error("X-Consistency-Token is not a consistency token")]
    BadConsistencyToken,
    #[error("PersistedQueryNotFound")]
    PersistedQueryNotFound,
    #[error("the query's SHA-256 is not the sha256Hash of extensions.persistedQuery")]
    PersistedQueryMismatch,
    #[error(
        "extensions.persistedQuery must be {{\"version\": 1, \"sha256Hash\": \"<64 hex digits>\"}}"
    )]
    BadPersistedQuery,
    #[error(transparent)]
    ReadSideBehind(QueryError),
}

/// A query string that is not a GraphQL request: the parser's detail is logged, not sent.
impl From<ParseRequestError> for Refusal {
    fn from(error: ParseRequestError) -> Self {
        tracing::debug!(%error, "unreadable GraphQL request");
        Self::Unreadable
    }
}

impl Refusal {
    /// Why a body could not be read whole: larger than `limit`, or cut off.
    pub(super) fn unread_body(error: axum::Error, limit: usize) -> Self {
        if error.into_inner().is::<LengthLimitError>() {
            Self::TooLarge(limit)
        } else {
            Self::Unreadable
        }
    }
}

impl Refusal {
    fn status(&self) -> StatusCode {
        match self {
            Self::Unreadable => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::MutationOverGet => StatusCode::METHOD_NOT_ALLOWED,
            Self::BatchTooLarge(_)
            | Self::BadIdempotencyKey
            | Self::IdempotencyKeyOnBatch
            | Self::BadConsistencyToken
            | Self::PersistedQueryMismatch
            | Self::BadPersistedQuery => StatusCode::BAD_REQUEST,
            // As Apollo's clients expect it: they send the query text next.
            Self::PersistedQueryNotFound => StatusCode::OK,
            Self::BadToken(_) => StatusCode::UNAUTHORIZED,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::ReadSideBehind(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The refusal as a GraphQL response in `media`.
    pub(super) fn reply(self, media: MediaType) -> Response {
        let status = self.status();
        let error = ClientError::from(&self);
        let code = error.code();
        let body = async_graphql::Response::from_errors(vec![error.into_server_error()]);
        let mut response = reply_with(media, status, &body.into());
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        match self {
            Self::MutationOverGet => {
                headers.insert(header::ALLOW, HeaderValue::from_static("POST"));
            }
            Self::UnsupportedMediaType => {
                headers.insert(ACCEPT_POST, HeaderValue::from_static("application/json"));
            }
            Self::RateLimited(limited) => {
                headers.insert(header::RETRY_AFTER, retry_after_seconds(&limited).into());
            }
            _ => {}
        }
        if code == ErrorCode::Unauthenticated {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// The whole seconds a client over its budget waits (`Retry-After`), at least one.
pub fn retry_after_seconds(limited: &Limited) -> u64 {
    limited.retry_after.as_secs_f64().ceil().max(1.0) as u64
}

/// Checks `request`, sent with `parts` and a body hashing to `body_hash`, and, when it may
/// run, waits for the read side its consistency token names; returns who is asking.
pub(super) async fn preflight(
    state: &HttpState,
    parts: &Parts,
    request: &mut BatchRequest,
    body_hash: Option<String>,
) -> Result<RequestContext, Refusal> {
    let headers = &parts.headers;
    let operations = Operations::of(request.iter_mut());
    if parts.method == Method::GET && operations.mutations > 0 {
        return Err(Refusal::MutationOverGet);
    }
    if let BatchRequest::Batch(requests) = request
        && requests.len() > state.max_batch
    {
        return Err(Refusal::BatchTooLarge(state.max_batch));
    }
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(|value| value.to_str().unwrap_or_default());
    let caller = state
        .keys
        .caller(authorization)
        .map_err(Refusal::BadToken)?;
    state
        .rate_limits
        .take(&caller, client_address(parts), operations)
        .map_err(Refusal::RateLimited)?;
    let idempotency_key = idempotency_key(headers, body_hash, request)?;
    let mut read_at_least = Position::ORIGIN;
    if let Some(token) = headers.get(CONSISTENCY_TOKEN) {
        read_at_least = token
            .to_str()
            .ok()
            .and_then(|token| token.parse::<Position>().ok())
            .ok_or(Refusal::BadConsistencyToken)?;
        state
            .progress
            .wait_for(read_at_least)
            .await
            .map_err(Refusal::ReadSideBehind)?;
    }
    Ok(RequestContext {
        caller,
        request_id: request_id(headers),
        read_at_least,
        idempotency_key,
    })
}

/// The client's address (unspecified when the router is served without it).
fn client_address(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(Ipv4Addr::UNSPECIFIED.into(), |ConnectInfo(peer)| peer.ip())
}

fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.is_empty() && value.len() <= 128)
        .map_or_else(|| Uuid::now_v7().to_string(), str::to_owned)
}
