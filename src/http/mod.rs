//! HTTP routes: GraphQL over HTTP and WebSocket, GraphiQL, health, readiness and metrics.
//!
//! Every GraphQL request passes one [`preflight`] that turns it into a request context or a
//! refusal; the handlers hold no database handles (readiness is a service of its own).

mod cache_control;
mod caller_key;
mod documents;
mod graphiql;
mod graphql;
mod health;
mod idempotency_key;
mod metric_catalogue;
mod metrics;
mod negotiation;
mod operation_type;
mod persisted_queries;
mod preflight;
mod rate_limits;
mod reply;
mod request_guard;
mod websocket;

pub use metrics::prometheus;
pub use preflight::{Refusal, retry_after_seconds};
pub use rate_limits::{Budget, Limited, Rate};
pub use request_guard::with_request_guard;

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware;
use axum::routing::get;

use self::documents::Documents;
use self::persisted_queries::PersistedQueries;
use self::rate_limits::RateLimits;
use self::websocket::WebSockets;
use crate::app::{Draining, Readiness};
use crate::auth::TokenKeys;
use crate::config::WebSocketConfig;
use crate::graphql::RosterSchema;
use crate::query::ReadProgress;

/// What the handlers share: one allocation, so handing it to a handler costs a reference
/// count, not a copy of the token keys and services.
#[derive(Clone)]
pub struct HttpState(Arc<Shared>);

/// The services, keys and caches behind [`HttpState`].
pub struct Shared {
    schema: RosterSchema,
    keys: TokenKeys,
    progress: ReadProgress,
    readiness: Readiness,
    documents: Documents,
    persisted_queries: PersistedQueries,
    websockets: WebSockets,
    rate_limits: Arc<RateLimits>,
    /// Shutdown: counts what is open, and closes WebSockets once it starts.
    draining: Draining,
    /// The GraphiQL page, rendered once.
    playground: axum::body::Bytes,
    max_batch: usize,
    max_body_bytes: usize,
    execution_timeout: Duration,
    public_max_age: Duration,
}

/// What one GraphQL request over HTTP may be and take.
#[derive(Debug, Clone, Copy)]
pub struct RequestLimits {
    /// The most operations in a batch.
    pub max_batch: usize,
    /// The largest request body (and WebSocket message) read; a larger one gets 413.
    pub max_body_bytes: usize,
    /// The most bytes of one operation's query text (longer ones are not parsed here).
    pub max_query_bytes: usize,
    /// How long a request may run.
    pub execution_timeout: Duration,
    /// The budget of each caller's mutations.
    pub rate_limit_mutations: Rate,
    /// The budget of each client address's operations without a token.
    pub rate_limit_anonymous_reads: Rate,
    /// How long anyone may keep an anonymous query's answer (0: nobody).
    pub public_max_age: Duration,
}

impl HttpState {
    pub fn new(
        schema: RosterSchema,
        keys: TokenKeys,
        progress: ReadProgress,
        readiness: Readiness,
        limits: RequestLimits,
        websocket: WebSocketConfig,
        playground_token: Option<&str>,
    ) -> Self {
        let draining = readiness.draining().clone();
        Self(Arc::new(Shared {
            schema,
            keys,
            progress,
            readiness,
            documents: Documents::new(limits.max_query_bytes),
            persisted_queries: PersistedQueries::new(),
            max_batch: limits.max_batch,
            max_body_bytes: limits.max_body_bytes,
            execution_timeout: limits.execution_timeout,
            public_max_age: limits.public_max_age,
            websockets: WebSockets::new(websocket),
            rate_limits: RateLimits::new(
                limits.rate_limit_mutations,
                limits.rate_limit_anonymous_reads,
            ),
            draining,
            playground: graphiql::render(playground_token),
        }))
    }
}

impl Deref for HttpState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The routes. Serve them with the client's address
/// (`into_make_service_with_connect_info::<SocketAddr>()`): WebSockets are counted by it.
pub fn router(state: HttpState) -> Router {
    // Install the recorder before the first request, not at the first scrape: whatever
    // happens before that must be counted too.
    prometheus();
    let routes = Router::new()
        .route("/", get(graphiql::page))
        .route("/graphiql/{asset}", get(graphiql::asset))
        .route("/graphql", get(graphql::handle).post(graphql::handle))
        .route("/graphql/ws", get(websocket::upgrade))
        .route("/healthz", get(health::live))
        .route("/readyz", get(health::ready))
        .route("/metrics", get(metrics::render));
    with_request_guard(routes)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::record_request,
        ))
        .with_state(state)
}
