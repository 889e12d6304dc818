//! Writes a GraphQL response over HTTP: in the negotiated media type, with the status code
//! GraphQL over HTTP gives it, and without a `data` entry when the request never ran.
//!
//! A request that never ran (its document did not parse or validate, its variables did not
//! fit, it was past a limit or out of time) answers with its errors alone: under
//! `application/graphql-response+json` with a 4xx or 5xx chosen by the error's code, under
//! `application/json` with a 200, as legacy clients expect. A request that ran answers 200,
//! whatever errors its fields met. A batch answers 200 with one response per operation.
//! (Refusals before a request is read have statuses of their own: see `preflight`.)

use std::collections::BTreeMap;

use async_graphql::{BatchResponse, Response as GraphQLResponse, ServerError, Value};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::negotiation::MediaType;
use crate::graphql::ErrorCode;

/// `response` in `media`, with the status its outcome gives it.
pub(super) fn reply(media: MediaType, response: &BatchResponse) -> Response {
    let status = match response {
        BatchResponse::Single(single) if never_ran(single) => match media {
            MediaType::GraphQLResponseJson => status_of(single),
            MediaType::Json => StatusCode::OK,
        },
        _ => StatusCode::OK,
    };
    reply_with(media, status, response)
}

/// `response` in `media` with `status`, whatever its outcome.
pub(super) fn reply_with(
    media: MediaType,
    status: StatusCode,
    response: &BatchResponse,
) -> Response {
    let body = match response {
        BatchResponse::Single(single) => serde_json::to_vec(&Shaped::from(single)),
        BatchResponse::Batch(batch) => {
            serde_json::to_vec(&batch.iter().map(Shaped::from).collect::<Vec<_>>())
        }
    };
    match body {
        Ok(body) => (status, [(header::CONTENT_TYPE, media.content_type())], body).into_response(),
        Err(error) => {
            tracing::error!(%error, "a GraphQL response could not be written");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// True when the request behind `response` never ran: it has errors, no data, and none of
/// its errors belongs to a field (a field's error has a path; one raised before execution,
/// in parsing, validation or a limit, has none).
fn never_ran(response: &GraphQLResponse) -> bool {
    response.data == Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|error| error.path.is_empty())
}

/// The status of a response that never ran, by its first error's code.
fn status_of(response: &GraphQLResponse) -> StatusCode {
    let code = response
        .errors
        .first()
        .and_then(|error| error.extensions.as_ref()?.get("code"));
    let code = match code {
        Some(Value::String(code)) => code.parse::<ErrorCode>().ok(),
        _ => None,
    };
    match code {
        Some(ErrorCode::Unauthenticated) => StatusCode::UNAUTHORIZED,
        Some(ErrorCode::Forbidden) => StatusCode::FORBIDDEN,
        Some(ErrorCode::ServiceUnavailable | ErrorCode::ConsistencyTimeout) => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        Some(ErrorCode::InternalServerError) => StatusCode::INTERNAL_SERVER_ERROR,
        Some(ErrorCode::TooManySubscriptions | ErrorCode::RateLimited) => {
            StatusCode::TOO_MANY_REQUESTS
        }
        Some(
            ErrorCode::BadUserInput
            | ErrorCode::NotFound
            | ErrorCode::VersionConflict
            | ErrorCode::AlreadyExists
            | ErrorCode::IdempotencyKeyReused
            | ErrorCode::PersistedQueryNotFound,
        )
        | None => StatusCode::BAD_REQUEST,
    }
}

/// A response as it is sent: `data` only when the request ran.
#[derive(Serialize)]
struct Shaped<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a Value>,
    #[serde(skip_serializing_if = "<[ServerError]>::is_empty")]
    errors: &'a [ServerError],
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    extensions: &'a BTreeMap<String, Value>,
}

impl<'a> From<&'a GraphQLResponse> for Shaped<'a> {
    fn from(response: &'a GraphQLResponse) -> Self {
        Self {
            data: (!never_ran(response)).then_some(&response.data),
            errors: &response.errors,
            extensions: &response.extensions,
        }
    }
}
