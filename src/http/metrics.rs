//! The Prometheus recorder, the per-request metrics and the `/metrics` page.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::{HttpState, metric_catalogue};

/// How often recorded histogram samples are folded into their buckets. Until then each
/// sample is kept on its own, so without this the samples of every request between two
/// scrapes would pile up in memory.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// Request durations, in seconds: from a cached read (well under a millisecond) to a request
/// that waited out a consistency token.
const DURATION_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process's Prometheus recorder. The `metrics` facade is process-wide by design, so the
/// recorder is too: installed once, shared by every application in the process.
pub fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Suffix("_duration_seconds".into()),
                DURATION_BUCKETS,
            )
            // Refused only for an empty list of buckets, which this is not.
            .unwrap_or_else(|_| PrometheusBuilder::new())
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (an embedding program's); then ours
        // renders nothing, which beats failing.
        let _ = metrics::set_global_recorder(recorder);
        metric_catalogue::describe_and_register();
        let upkeep = handle.clone();
        std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP_INTERVAL);
                    upkeep.run_upkeep();
                }
            })
            .map_err(|error| tracing::warn!(%error, "cannot start the metrics upkeep"))
            .ok();
        handle
    })
}

pub(super) async fn render() -> String {
    prometheus().render()
}

/// Counts and times every request, and holds it open for shutdown's count of what it
/// drains.
pub(super) async fn record_request(
    State(state): State<HttpState>,
    request: Request,
    next: Next,
) -> Response {
    let _open = state.draining.request();
    let in_flight = metrics::gauge!("rosterql_http_requests_in_flight");
    in_flight.increment(1.0);
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
    in_flight.decrement(1.0);
    response
}
