//! `/healthz` (the process serves) and `/readyz` (it can answer queries).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::HttpState;
use crate::app::Verdict;

pub(super) async fn live() -> &'static str {
    "ok"
}

pub(super) async fn ready(State(state): State<HttpState>) -> Response {
    let (status, body) = match state.readiness.verdict().await {
        Verdict::Ready => (StatusCode::OK, json!({ "status": "ready" })),
        Verdict::Degraded(warnings) => (
            StatusCode::OK,
            json!({ "status": "degraded", "reason": warnings.join("; ") }),
        ),
        Verdict::Unavailable(problems) => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "status": "unavailable", "reason": problems.join("; ") }),
        ),
    };
    (status, axum::Json(body)).into_response()
}
