//! GraphQL over HTTP: `POST /graphql` and `GET /graphql`. A request is read (a query
//! string, or an `application/json` body of at most 1 MiB), checked, run and answered in
//! the media type the client accepts.

use async_graphql::BatchRequest;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::http::request::Parts;
use axum::response::Response;

use super::negotiation::{MediaType, is_json_body};
use super::preflight::{Refusal, preflight};
use super::reply::reply;
use super::{HttpState, MAX_BODY_BYTES};

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
    let context = match preflight(&state, &parts.method, &parts.headers, &mut batch).await {
        Ok(context) => context,
        Err(refusal) => return refusal.reply(media),
    };
    let response = state.schema.execute_batch(batch.data(context)).await;
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
