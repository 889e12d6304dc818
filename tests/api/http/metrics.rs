//! `/metrics`: Prometheus counters of requests, commands and cache hits and misses.

use libtest_mimic::Trial;
use serde_json::json;

use super::{USER_BY_ID, content_type, get};
use crate::support::{TestApp, assert_no_errors, on_both_databases};

/// The sum of the samples of counter `name` whose labels include `labels`.
fn counter(metrics: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    metrics
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, series_labels) = series.split_once('{').unwrap_or((series, ""));
            let wanted = metric == name
                && labels
                    .iter()
                    .all(|(label, value)| series_labels.contains(&format!("{label}=\"{value}\"")));
            if wanted {
                value.parse::<f64>().ok()
            } else {
                None
            }
        })
        .sum()
}

async fn scrape(app: &TestApp) -> String {
    let response = get(app, "/metrics").await;
    assert_eq!(response.status().as_u16(), 200);
    let kind = content_type(&response);
    assert!(
        kind.starts_with("text/plain"),
        "Prometheus text format, not {kind:?}"
    );
    response.text().await.expect("a text body")
}

const HEALTHZ: [(&str, &str); 2] = [("route", "/healthz"), ("status", "200")];
const CREATE_USER_OK: [(&str, &str); 2] = [("command", "createUser"), ("outcome", "OK")];
const CACHE_HIT: [(&str, &str); 1] = [("outcome", "hit")];
const CACHE_MISS: [(&str, &str); 1] = [("outcome", "miss")];

/// GET /healthz, create an organization and a user, read the user twice and an unknown
/// user once: every kind of counted event at least once.
async fn count_one_of_everything(app: &TestApp) {
    assert_eq!(get(app, "/healthz").await.status().as_u16(), 200);
    let (_, created) = app.organization_with_user().await;
    for id in [
        &created["userId"],
        &created["userId"],
        &json!(uuid::Uuid::new_v4().to_string()),
    ] {
        let body = app.gql_as(None, USER_BY_ID, json!({ "id": id })).await;
        assert_no_errors(&body);
    }
}

/// The process's first scrape must show what happened before it, as a standalone server's
/// first Prometheus scrape would. (Metrics are per process: when another test scraped
/// first, this one cannot tell; run alone, it can.)
async fn the_metrics_count_what_happened_before_the_first_scrape(app: TestApp) {
    count_one_of_everything(&app).await;
    let metrics = scrape(&app).await;
    assert!(
        counter(&metrics, "rosterql_http_requests_total", &HEALTHZ) >= 1.0,
        "{metrics}"
    );
    assert!(
        counter(&metrics, "rosterql_commands_total", &CREATE_USER_OK) >= 1.0,
        "{metrics}"
    );
    assert!(
        counter(&metrics, "rosterql_cache_requests_total", &CACHE_HIT) >= 1.0,
        "{metrics}"
    );
    assert!(
        counter(&metrics, "rosterql_cache_requests_total", &CACHE_MISS) >= 1.0,
        "{metrics}"
    );
}

/// Counters only grow, and other tests share the process's recorder: each must grow by at
/// least what this test did.
async fn the_metrics_count_requests_commands_and_cache_hits_and_misses(app: TestApp) {
    let before = scrape(&app).await;
    count_one_of_everything(&app).await;
    let after = scrape(&app).await;
    let grew = |name: &str, labels: &[(&str, &str)]| {
        counter(&after, name, labels) - counter(&before, name, labels)
    };
    assert!(
        grew("rosterql_http_requests_total", &HEALTHZ) >= 1.0,
        "{after}"
    );
    assert!(
        grew("rosterql_http_requests_total", &[("route", "/metrics")]) >= 1.0,
        "{after}"
    );
    assert!(
        grew("rosterql_commands_total", &CREATE_USER_OK) >= 1.0,
        "{after}"
    );
    assert!(
        grew("rosterql_cache_requests_total", &CACHE_HIT) >= 1.0,
        "reading a user twice hits: {after}"
    );
    assert!(
        grew("rosterql_cache_requests_total", &CACHE_MISS) >= 1.0,
        "an unknown user misses: {after}"
    );
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        the_metrics_count_what_happened_before_the_first_scrape,
        the_metrics_count_requests_commands_and_cache_hits_and_misses,
    )
}
