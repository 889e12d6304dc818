//! The Prometheus recorder, the per-request metrics and the `/metrics` page.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// The process's Prometheus recorder. The `metrics` facade is process-wide by design, so the
/// recorder is too: installed once, shared by every application in the process.
pub fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (an embedding program's); then ours
        // renders nothing, which beats failing.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

pub(super) async fn render() -> String {
    prometheus().render()
}

pub(super) async fn record_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().to_string();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("route", route), ("method", method), ("status", status)];
    metrics::counter!("rosterql_http_requests_total", &labels).increment(1);
    metrics::histogram!("rosterql_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}
