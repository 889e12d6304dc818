//! GraphQL over HTTP: `POST /graphql` and `GET /graphql`.

use async_graphql_axum::{GraphQLBatchRequest, GraphQLResponse};
use axum::extract::State;
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};

use super::HttpState;
use super::preflight::preflight;

pub(super) async fn handle(
    State(state): State<HttpState>,
    method: Method,
    headers: HeaderMap,
    request: GraphQLBatchRequest,
) -> Response {
    let request = request.into_inner();
    match preflight(&state, &method, &headers, &request).await {
        Ok(context) => {
            let response = state.schema.execute_batch(request.data(context)).await;
            GraphQLResponse::from(response).into_response()
        }
        Err(refusal) => refusal.into_response(),
    }
}
