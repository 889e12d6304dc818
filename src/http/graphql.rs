//! GraphQL over HTTP: `POST /graphql` and `GET /graphql`. A request is read (a query
//! string, or an `application/json` body of at most 1 MiB), checked, run within the
//! execution timeout and answered in the media type the client accepts.

use std::net::{Ipv4Addr, SocketAddr};

use async_graphql::{BatchRequest, BatchResponse, Response as GraphQLResponse};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::Method;
use axum::http::request::Parts;
use axum::response::Response;

use super::negotiation::{MediaType, is_json_body};
use super::preflight::{Refusal, preflight};
use super::reply::reply;
use super::{HttpState, MAX_BODY_BYTES};
use crate::graphql::ClientError;

pub(super) async fn handle(State(state): State<HttpState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Some(media) = MediaType::negotiate(&parts.headers) else {
        return Refusal::NotAcceptable.reply(MediaType::GraphQLResponseJson);
    };
    let mut batch = match read(&parts, body).await {
        Ok(batch) => batch,
        Err(refusal) => return refusal.reply(media),
    };
    state.documents.attach(&mut batch);
    let address = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(Ipv4Addr::UNSPECIFIED.into(), |ConnectInfo(peer)| peer.ip());
    let preflight = preflight(&state, &parts.method, &parts.headers, address, &mut batch);
    let context = match preflight.await {
        Ok(context) => context,
        Err(refusal) => return refusal.reply(media),
    };
    let operations = match &batch {
        BatchRequest::Single(_) => None,
        BatchRequest::Batch(requests) => Some(requests.len()),
    };
    let request_id = context.request_id.clone();
    let execution = state.schema.execute_batch(batch.data(context));
    let response = match tokio::time::timeout(state.execution_timeout, execution).await {
        Ok(response) => response,
        Err(_) => {
            let limit = humantime::format_duration(state.execution_timeout);
            tracing::warn!(%request_id, %limit, "a request ran out of time");
            out_of_time(&state, operations)
        }
    };
    reply(media, &response)
}

/// The GraphQL request in the query string (GET) or the body (POST). The limit on the body
/// is applied here rather than by a layer, so that an oversized body gets a GraphQL error
/// like every other refusal, whether or not it announced its length.
async fn read(parts: &Parts, body: Body) -> Result<BatchRequest, Refusal> {
    let batch: BatchRequest = if parts.method == Method::GET {
        let query = parts.uri.query().unwrap_or_default();
        async_graphql::http::parse_query_string(query)?.into()
    } else {
        if !is_json_body(&parts.headers) {
            return Err(Refusal::UnsupportedMediaType);
        }
        let body = axum::body::to_bytes(body, MAX_BODY_BYTES).await?;
        serde_json::from_slice(&body).map_err(|error| {
            tracing::debug!(%error, "unreadable GraphQL request");
            Refusal::Unreadable
        })?
    };
    // The parser reads a missing `query` as an empty one: that is no GraphQL request.
    if batch.iter().any(|request| request.query.is_empty()) {
        return Err(Refusal::Unreadable);
    }
    Ok(batch)
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
