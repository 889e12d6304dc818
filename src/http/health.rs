//! `/healthz` (the process serves) and `/readyz` (it can answer queries).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::HttpState;

pub(super) async fn live() -> &'static str {
    "ok"
}

pub(super) async fn ready(State(state): State<HttpState>) -> Response {
    let problems = state.readiness.problems().await;
    if problems.is_empty() {
        (StatusCode::OK, axum::Json(json!({ "status": "ready" }))).into_response()
    } else {
        let body = json!({ "status": "unavailable", "reason": problems.join("; ") });
        (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
    }
}
