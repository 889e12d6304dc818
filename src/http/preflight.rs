//! What every GraphQL request over HTTP is checked for before it runs: its method, its
//! batch size, its bearer token and its consistency token. A request comes out as the
//! [`RequestContext`] its resolvers see, or as a [`Refusal`].

use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, ParseRequestError};
use async_graphql_axum::GraphQLResponse;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::LengthLimitError;
use uuid::Uuid;

use super::{HttpState, MAX_BODY_BYTES};
use crate::auth::AuthError;
use crate::event_log::Position;
use crate::graphql::{ClientError, ErrorCode, MAX_BATCH, RequestContext};
use crate::query::QueryError;

const CONSISTENCY_TOKEN: &str = "x-consistency-token";
const REQUEST_ID: &str = "x-request-id";

/// Why a request was refused before it ran. Its code is [`ClientError`]'s decision; its
/// HTTP status is this module's.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("the request body is not a GraphQL request")]
    Unreadable,
    #[error("the request body is larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    #[error("mutations must be sent with POST")]
    MutationOverGet,
    #[error("a batch may hold at most {MAX_BATCH} operations")]
    BatchTooLarge,
    #[error(transparent)]
    BadToken(AuthError),
    #[error("X-Consistency-Token is not a consistency token")]
    BadConsistencyToken,
    #[error(transparent)]
    ReadSideBehind(QueryError),
}

/// The body extractor's refusal: the parser's detail is logged, not sent.
impl From<ParseRequestError> for Refusal {
    fn from(error: ParseRequestError) -> Self {
        if matches!(error, ParseRequestError::PayloadTooLarge) {
            return Self::TooLarge;
        }
        tracing::debug!(%error, "unreadable GraphQL request");
        Self::Unreadable
    }
}

/// Why a body could not be read whole: too large, or cut off.
impl From<axum::Error> for Refusal {
    fn from(error: axum::Error) -> Self {
        if error.into_inner().is::<LengthLimitError>() {
            Self::TooLarge
        } else {
            Self::Unreadable
        }
    }
}

impl Refusal {
    fn status(&self) -> StatusCode {
        match self {
            Self::Unreadable => StatusCode::BAD_REQUEST,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::MutationOverGet => StatusCode::METHOD_NOT_ALLOWED,
            Self::BatchTooLarge | Self::BadConsistencyToken => StatusCode::BAD_REQUEST,
            Self::BadToken(_) => StatusCode::UNAUTHORIZED,
            Self::ReadSideBehind(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let status = self.status();
        let error = ClientError::from(&self);
        let code = error.code();
        let body = async_graphql::Response::from_errors(vec![error.into_server_error()]);
        let mut response = GraphQLResponse::from(body).into_response();
        *response.status_mut() = status;
        let headers = response.headers_mut();
        if matches!(self, Self::MutationOverGet) {
            headers.insert(header::ALLOW, HeaderValue::from_static("POST"));
        }
        if code == ErrorCode::Unauthenticated {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// Checks `request` and, when it may run, waits for the read side its consistency token
/// names; returns who is asking.
pub(super) async fn preflight(
    state: &HttpState,
    method: &Method,
    headers: &HeaderMap,
    request: &mut BatchRequest,
) -> Result<RequestContext, Refusal> {
    if method == Method::GET && request.iter_mut().any(runs_a_mutation) {
        return Err(Refusal::MutationOverGet);
    }
    if let BatchRequest::Batch(requests) = request
        && requests.len() > MAX_BATCH
    {
        return Err(Refusal::BatchTooLarge);
    }
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(|value| value.to_str().unwrap_or_default());
    let caller = state
        .keys
        .caller(authorization)
        .map_err(Refusal::BadToken)?;
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
    })
}

fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.is_empty() && value.len() <= 128)
        .map_or_else(|| Uuid::now_v7().to_string(), str::to_owned)
}

/// True when the request would run a mutation (refused over GET: a link must not write).
fn runs_a_mutation(request: &mut async_graphql::Request) -> bool {
    let wanted = request.operation_name.clone();
    let Ok(document) = request.parsed_query() else {
        return false;
    };
    document.operations.iter().any(|(name, operation)| {
        let selected = match (&wanted, name) {
            (Some(wanted), Some(name)) => wanted == name.as_str(),
            (Some(_), None) => false,
            (None, _) => true,
        };
        selected && operation.node.ty == OperationType::Mutation
    })
}
