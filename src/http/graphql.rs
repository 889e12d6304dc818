//! GraphQL over HTTP: `POST /graphql` and `GET /graphql`. A request is read (a query
//! string, or an `application/json` body of at most the configured size), checked, run
//! within the execution timeout and answered in the media type the client accepts, with the
//! `Cache-Control` its caller and outcome allow.

use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, BatchResponse, Response as GraphQLResponse};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::http::request::Parts;
use axum::response::Response;

use super::cache_control::{Asked, Caching};
use super::negotiation::{MediaType, is_json_body};
use super::operation_type::selects;
use super::preflight::{Refusal, preflight};
use super::reply::reply;
use super::{HttpState, idempotency_key};
use crate::auth::Caller;
use crate::event_log::Position;
use crate::graphql::ClientError;

pub(super) async fn handle(State(state): State<HttpState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Some(media) = MediaType::negotiate(&parts.headers) else {
        return Refusal::NotAcceptable.reply(MediaType::GraphQLResponseJson);
    };
    let (mut batch, body_hash) = match read(&parts, body, state.max_body_bytes).await {
        Ok(read) => read,
        Err(refusal) => return refusal.reply(media),
    };
    if let Err(refusal) = state.persisted_queries.resolve(&mut batch) {
        return refusal.reply(media);
    }
    state.documents.attach(&mut batch);
    let context = match preflight(&state, &parts, &mut batch, body_hash).await {
        Ok(context) => context,
        Err(refusal) => return refusal.reply(media),
    };
    let operations = match &batch {
        BatchRequest::Single(_) => None,
        BatchRequest::Batch(requests) => Some(requests.len()),
    };
    let request_id = context.request_id.clone();
    let asked = Asked {
        with_token: !matches!(context.caller, Caller::Anonymous),
        with_consistency_token: context.read_at_least != Position::ORIGIN,
        mutation: batch
            .iter_mut()
            .any(|request| selects(request, OperationType::Mutation)),
    };
    let execution = state.schema.execute_batch(batch.data(context));
    let response = match tokio::time::timeout(state.execution_timeout, execution).await {
        Ok(response) => response,
        Err(_) => {
            let limit = humantime::format_duration(state.execution_timeout);
            tracing::warn!(%request_id, %limit, "a request ran out of time");
            out_of_time(&state, operations)
        }
    };
    let mut answer = reply(media, &response);
    Caching::of(asked, &response, state.public_max_age.as_secs()).apply(&mut answer);
    answer
}

/// The GraphQL request in the query string (GET) or the body (POST) (its query text may
/// still be a persisted query's hash: see [`PersistedQueries`](super::persisted_queries)), with the body's hash
/// when an idempotency key comes with it. The limit on the body is applied here rather than
/// by a layer, so that an oversized body gets a GraphQL error like every other refusal,
/// whether or not it announced its length.
async fn read(
    parts: &Parts,
    body: Body,
    max_bytes: usize,
) -> Result<(BatchRequest, Option<String>), Refusal> {
    let mut body_hash = None;
    let batch: BatchRequest = if parts.method == Method::GET {
        let query = parts.uri.query().unwrap_or_default();
        async_graphql::http::parse_query_string(query)?.into()
    } else {
        if !is_json_body(&parts.headers) {
            return Err(Refusal::UnsupportedMediaType);
        }
        let body = axum::body::to_bytes(body, max_bytes)
            .await
            .map_err(|error| Refusal::unread_body(error, max_bytes))?;
        if idempotency_key::present(&parts.headers) {
            body_hash = Some(idempotency_key::body_hash(&body));
        }
        serde_json::from_slice(&body).map_err(|error| {
            tracing::debug!(%error, "unreadable GraphQL request");
            Refusal::Unreadable
        })?
    };
    Ok((batch, body_hash))
}

/// The answer to a request that ran out of time: one error per operation it held (None: a
/// single request).
fn out_of_time(state: &HttpState, operations: Option<usize>) -> BatchResponse {
    let timed_out = || {
        let error = ClientError::timed_out(state.execution_timeout);
        GraphQLResponse::from_errors(vec![error.into_server_error()])
    };
    match operations {
        None => BatchResponse::Single(timed_out()),
        Some(count) => BatchResponse::Batch((0..count).map(|_| timed_out()).collect()),
    }
}
