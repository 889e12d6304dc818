//! What wraps every request: an id of its own, and a guard that answers a panic with a coded
//! GraphQL error instead of a dropped connection.
//!
//! The id is the client's `X-Request-Id` when it is a sensible one (1–128 visible ASCII
//! characters), else a fresh UUID. It replaces the header, so every later reader sees the
//! same id, comes back in the response's `X-Request-Id`, and is the request's
//! [`request_id`] while it runs: the server-side errors it meets carry it, and so do their
//! log lines.

use std::any::Any;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Json, Response};
use tower_http::catch_panic::CatchPanicLayer;
use uuid::Uuid;

use crate::graphql::{ClientError, request_id};

const REQUEST_ID: &str = "x-request-id";
const MAX_REQUEST_ID_CHARACTERS: usize = 128;

/// `routes`, each request given an id and guarded against panics.
pub fn with_request_guard<S: Clone + Send + Sync + 'static>(routes: Router<S>) -> Router<S> {
    routes
        .layer(CatchPanicLayer::custom(answer_panic))
        .layer(middleware::from_fn(identify))
}

async fn identify(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(REQUEST_ID)
        .filter(|value| is_sensible(value))
        .and_then(|value| value.to_str().ok())
        .map_or_else(|| Uuid::now_v7().to_string(), str::to_owned);
    // Always a header value: a sensible id and a UUID are visible ASCII.
    let value = HeaderValue::from_str(&id).ok();
    if let Some(value) = &value {
        request.headers_mut().insert(REQUEST_ID, value.clone());
    }
    let mut response = request_id::scope(id, next.run(request)).await;
    if let Some(value) = value {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

fn is_sensible(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    (1..=MAX_REQUEST_ID_CHARACTERS).contains(&bytes.len())
        && bytes.iter().all(|byte| byte.is_ascii_graphic())
}

/// The answer to a request whose handler panicked: `INTERNAL_SERVER_ERROR` with the
/// request's id, and the panic's message in the log only.
fn answer_panic(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message");
    let error = ClientError::panicked(message).into_server_error();
    let body = async_graphql::Response::from_errors(vec![error]);
    (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
}
