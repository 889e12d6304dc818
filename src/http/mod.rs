//! HTTP routes: GraphQL over HTTP and WebSocket, GraphiQL, health, readiness and metrics.
//!
//! Every GraphQL request passes one [`preflight`] that turns it into a request context or a
//! refusal; the handlers hold no database handles (readiness is a service of its own).

mod graphiql;
mod graphql;
mod health;
mod metrics;
mod preflight;
mod websocket;

pub use metrics::prometheus;
pub use preflight::Refusal;

use axum::Router;
use axum::middleware;
use axum::routing::get;

use crate::app::Readiness;
use crate::auth::TokenKeys;
use crate::graphql::RosterSchema;
use crate::query::ReadProgress;

/// The largest GraphQL request body read (1 MiB); a larger one gets 413.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What the handlers share.
#[derive(Clone)]
pub struct HttpState {
    pub schema: RosterSchema,
    pub keys: TokenKeys,
    pub progress: ReadProgress,
    pub readiness: Readiness,
}

pub fn router(state: HttpState) -> Router {
    // Install the recorder before the first request, not at the first scrape: whatever
    // happens before that must be counted too.
    prometheus();
    Router::new()
        .route("/", get(graphiql::page))
        .route("/graphiql/{asset}", get(graphiql::asset))
        .route("/graphql", get(graphql::handle).post(graphql::handle))
        .route("/graphql/ws", get(websocket::upgrade))
        .route("/healthz", get(health::live))
        .route("/readyz", get(health::ready))
        .route("/metrics", get(metrics::render))
        .layer(middleware::from_fn(metrics::record_request))
        .with_state(state)
}
