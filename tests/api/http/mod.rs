//! HTTP itself: the routes beside GraphQL (health, readiness, metrics, the offline GraphiQL
//! playground), GraphQL over HTTP's edges (GET, batches, bodies that are not JSON), media
//! types and the conformance audit, and the limits, budgets and timeouts every request is held to.

use libtest_mimic::Trial;

mod browser;
mod caching;
mod conformance;
mod graphql_over_http;
mod limits;
mod metrics;
mod negotiation;
mod persisted_queries;
mod query_limits;
mod rate_limits;
mod routes;
mod timeouts;

pub(crate) fn trials() -> Vec<Trial> {
    [
        routes::trials(),
        caching::trials(),
        browser::trials(),
        persisted_queries::trials(),
        metrics::trials(),
        graphql_over_http::trials(),
        limits::trials(),
        negotiation::trials(),
        conformance::trials(),
        query_limits::trials(),
        rate_limits::trials(),
        timeouts::trials(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

const USER_BY_ID: &str = "query($id: ID!) { user(id: $id) { id name } }";

pub(super) fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}
