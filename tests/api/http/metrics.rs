//! `/metrics`: every series described and present from the first scrape; Prometheus
//! counters of requests, commands and cache hits and misses.

use libtest_mimic::Trial;
use regex::Regex;
use serde_json::json;

use super::{USER_BY_ID, content_type};
use crate::support::{TestApp, TestDatabase, assert_no_errors, counter, on_both_databases};

async fn scrape(app: &TestApp) -> String {
    let response = app.get("/metrics").await;
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

/// Scrapes the server's metrics once; returns the counter reader over that scrape.
async fn snapshot(app: &TestApp) -> impl Fn(&str, &[(&str, &str)]) -> f64 {
    let metrics = scrape(app).await;
    move |name: &str, labels: &[(&str, &str)]| counter(&metrics, name, labels)
}

/// Reads the user twice and an unknown user once, anonymously.
async fn read_twice_and_miss_once(app: &TestApp, user_id: &serde_json::Value) {
    for id in [user_id, user_id, &json!(uuid::Uuid::new_v4().to_string())] {
        let body = app.gql_as(None, USER_BY_ID, json!({ "id": id })).await;
        assert_no_errors(&body);
    }
}

/// A standalone server's first scrape shows what happened before it. The server runs in a
/// process of its own, so every count is this test's alone and can be exact.
async fn the_first_scrape_shows_what_happened_before_it(database: TestDatabase) {
    let app = TestApp::spawn_process(database, &[]).await;
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
    app.organization_with_user().await;
    let first = snapshot(&app).await;
    assert_eq!(first("rosterql_http_requests_total", &HEALTHZ), 1.0);
    assert_eq!(first("rosterql_commands_total", &CREATE_USER_OK), 1.0);
    assert_eq!(
        first(
            "rosterql_commands_total",
            &[("command", "createOrganization"), ("outcome", "OK")]
        ),
        1.0
    );
}

/// Requests, commands and cache lookups are counted exactly, by route, outcome and result.
async fn requests_commands_and_cache_lookups_are_counted_exactly(database: TestDatabase) {
    let app = TestApp::spawn_process(database, &[]).await;
    let (_, created) = app.organization_with_user().await;
    let before = snapshot(&app).await;
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
    read_twice_and_miss_once(&app, &created["userId"]).await;
    let refused = app
        .gql_as(
            Some(&app.viewer),
            "mutation { createOrganization(input: {slug: \"x\", name: \"X\"}) { version } }",
            json!({}),
        )
        .await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let after = snapshot(&app).await;
    let grew = |name: &str, labels: &[(&str, &str)]| after(name, labels) - before(name, labels);
    assert_eq!(grew("rosterql_http_requests_total", &HEALTHZ), 1.0);
    assert_eq!(
        grew("rosterql_http_requests_total", &[("route", "/metrics")]),
        1.0,
        "the scrape before counts"
    );
    assert_eq!(
        grew("rosterql_cache_requests_total", &CACHE_HIT),
        2.0,
        "a cached user read twice"
    );
    assert_eq!(
        grew("rosterql_cache_requests_total", &CACHE_MISS),
        1.0,
        "an unknown user misses"
    );
    let forbidden = [("command", "createOrganization"), ("outcome", "FORBIDDEN")];
    assert_eq!(grew("rosterql_commands_total", &forbidden), 1.0);
    assert_eq!(grew("rosterql_commands_total", &CREATE_USER_OK), 0.0);
}

/// Before anything has happened, the first scrape of a new process already has every series
/// a dashboard or an alert binds to, each with its help and type; and the dashboard and the
/// alert rules shipped in docs/ name no other.
async fn every_series_is_described_and_present_from_the_first_scrape(database: TestDatabase) {
    let app = TestApp::spawn_process(database, &[]).await;
    let metrics = scrape(&app).await;
    let present = [
        ("rosterql_projector_events_total", "counter"),
        ("rosterql_projector_parked_events_total", "counter"),
        ("rosterql_projector_errors_total", "counter"),
        ("rosterql_cache_requests_total", "counter"),
        ("rosterql_commands_total", "counter"),
        ("rosterql_rate_limited_total", "counter"),
        ("rosterql_write_admission_waits_total", "counter"),
        ("rosterql_projector_lag_seconds", "gauge"),
        ("rosterql_projector_leader", "gauge"),
        ("rosterql_projector_position", "gauge"),
        ("rosterql_websocket_connections", "gauge"),
        ("rosterql_http_requests_in_flight", "gauge"),
        (
            "rosterql_write_admission_wait_duration_seconds",
            "histogram",
        ),
    ];
    for (name, kind) in present {
        assert!(
            metrics.contains(&format!("# HELP {name} ")),
            "{name} undescribed:\n{metrics}"
        );
        assert!(
            metrics.contains(&format!("# TYPE {name} {kind}")),
            "{name} not a {kind}"
        );
    }
    // The dashboard and the alert rules in docs/ name only series that exist (those labelled
    // by request once there has been one: the first scrape).
    let metrics = scrape(&app).await;
    let docs = [
        include_str!("../../../docs/grafana-dashboard.json"),
        include_str!("../../../docs/prometheus-alerts.yml"),
    ];
    let named = Regex::new(r"rosterql_[a-z_]+").expect("a pattern");
    for doc in docs {
        for found in named.find_iter(doc) {
            let name = found.as_str();
            let series = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| name.strip_suffix(suffix))
                .unwrap_or(name);
            let described = format!("# HELP {series} ");
            assert!(
                metrics.contains(&described),
                "docs/ name {name}, which is not exported"
            );
        }
    }
    let renames = [("command", "renameUser"), ("outcome", "OK")];
    assert!(metrics.contains("rosterql_commands_total{"), "{metrics}");
    assert_eq!(counter(&metrics, "rosterql_commands_total", &renames), 0.0);
    assert!(
        metrics.contains(r#"rosterql_cache_requests_total{outcome="hit"} 0"#),
        "{metrics}"
    );
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        the_first_scrape_shows_what_happened_before_it,
        requests_commands_and_cache_lookups_are_counted_exactly,
        every_series_is_described_and_present_from_the_first_scrape,
    )
}
