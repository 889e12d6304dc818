//! GraphQL over HTTP: `POST /graphql` and `GET /graphql`.

use async_graphql_axum::{GraphQLBatchRequest, GraphQLResponse};
use axum::body::Body;
use axum::extract::{FromRequest, Request, State};
use axum::response::{IntoResponse, Response};

use super::preflight::{Refusal, preflight};
use super::{HttpState, MAX_BODY_BYTES};

pub(super) async fn handle(State(state): State<HttpState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    // The limit is applied here rather than by a layer, so that an oversized body gets a
    // GraphQL error like every other refusal, whether or not it announced its length.
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(error) => return Refusal::from(error).into_response(),
    };
    let (method, headers) = (parts.method.clone(), parts.headers.clone());
    let request = Request::from_parts(parts, Body::from(body));
    let mut request = match GraphQLBatchRequest::<Refusal>::from_request(request, &state).await {
        Ok(request) => request.into_inner(),
        Err(refusal) => return refusal.into_response(),
    };
    state.documents.attach(&mut request);
    match preflight(&state, &method, &headers, &mut request).await {
        Ok(context) => {
            let response = state.schema.execute_batch(request.data(context)).await;
            GraphQLResponse::from(response).into_response()
        }
        Err(refusal) => refusal.into_response(),
    }
}
