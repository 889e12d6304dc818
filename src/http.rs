//! HTTP routes: GraphQL over HTTP and WebSocket, GraphiQL, health, readiness and metrics.

use std::sync::OnceLock;
use std::time::Instant;

use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, Data, ErrorExtensionValues, ServerError};
use async_graphql_axum::{GraphQLBatchRequest, GraphQLProtocol, GraphQLResponse, GraphQLWebSocket};
use axum::Router;
use axum::extract::{MatchedPath, Request, State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sea_orm::DatabaseConnection;
use serde_json::json;
use tower_http::limit::RequestBodyLimitLayer;
use uuid::Uuid;

use crate::auth::TokenKeys;
use crate::event_log::Position;
use crate::graphql::{ErrorCode, MAX_BATCH, RequestContext, RosterSchema, Services};

const CONSISTENCY_TOKEN: &str = "x-consistency-token";
const REQUEST_ID: &str = "x-request-id";
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What the handlers share.
#[derive(Clone)]
pub struct HttpState {
    pub schema: RosterSchema,
    pub services: Services,
    pub keys: TokenKeys,
    pub command_db: DatabaseConnection,
    pub read_db: DatabaseConnection,
}

pub fn router(state: HttpState) -> Router {
    // Install the recorder before the first request, not at the first scrape: whatever
    // happens before that must be counted too.
    prometheus();
    Router::new()
        .route("/", get(graphiql::page))
        .route("/graphiql/{asset}", get(graphiql::asset))
        .route("/graphql", get(graphql).post(graphql))
        .route("/graphql/ws", get(graphql_ws))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(|| async { prometheus().render() }))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(middleware::from_fn(record_request))
        .with_state(state)
}

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

async fn record_request(request: Request, next: Next) -> Response {
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

/// A GraphQL error response for a request refused before execution.
fn refuse(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    let mut error = ServerError::new(message, None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code.as_str());
    error.extensions = Some(extensions);
    let mut response =
        GraphQLResponse::from(async_graphql::Response::from_errors(vec![error])).into_response();
    *response.status_mut() = status;
    if code == ErrorCode::Unauthenticated {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.is_empty() && value.len() <= 128)
        .map_or_else(|| Uuid::now_v7().to_string(), str::to_owned)
}

/// True when the request would run a mutation (refused over GET: a link must not write).
fn runs_a_mutation(request: &async_graphql::Request) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    document.operations.iter().any(|(name, operation)| {
        let selected = match (&request.operation_name, name) {
            (Some(wanted), Some(name)) => wanted == name.as_str(),
            (Some(_), None) => false,
            (None, _) => true,
        };
        selected && operation.node.ty == OperationType::Mutation
    })
}

async fn graphql(
    State(state): State<HttpState>,
    method: Method,
    headers: HeaderMap,
    request: GraphQLBatchRequest,
) -> Response {
    let request = request.into_inner();
    if method == Method::GET && request.iter().any(runs_a_mutation) {
        let mut response = refuse(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::BadUserInput,
            "mutations must be sent with POST",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    if let BatchRequest::Batch(requests) = &request
        && requests.len() > MAX_BATCH
    {
        let message = format!("a batch may hold at most {MAX_BATCH} operations");
        return refuse(StatusCode::BAD_REQUEST, ErrorCode::BadUserInput, &message);
    }
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(|value| value.to_str().unwrap_or_default());
    let caller = match state.keys.caller(authorization) {
        Ok(caller) => caller,
        Err(error) => {
            return refuse(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthenticated,
                &error.to_string(),
            );
        }
    };
    if let Some(token) = headers.get(CONSISTENCY_TOKEN) {
        let Some(position) = token
            .to_str()
            .ok()
            .and_then(|token| token.parse::<Position>().ok())
        else {
            return refuse(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadUserInput,
                "X-Consistency-Token is not a consistency token",
            );
        };
        let services = &state.services;
        if services
            .progress
            .wait_for(position, services.consistency_timeout)
            .await
            .is_err()
        {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::ConsistencyTimeout,
                "the read side did not reach the consistency token in time",
            );
        }
    }
    let context = RequestContext {
        caller,
        request_id: request_id(&headers),
    };
    let request = request.data(context);
    GraphQLResponse::from(state.schema.execute_batch(request).await).into_response()
}

/// The `Authorization` entry of a `connection_init` payload, whatever its case.
fn init_authorization(payload: &serde_json::Value) -> Option<String> {
    let entries = payload.as_object()?;
    entries
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, value)| value.as_str().map(str::to_owned))
}

async fn graphql_ws(
    State(state): State<HttpState>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            let keys = state.keys.clone();
            GraphQLWebSocket::new(socket, state.schema.clone(), protocol)
                .on_connection_init(move |payload| async move {
                    let caller = keys
                        .caller(init_authorization(&payload).as_deref())
                        .map_err(|error| async_graphql::Error::new(error.to_string()))?;
                    let mut data = Data::default();
                    data.insert(RequestContext {
                        caller,
                        request_id: Uuid::now_v7().to_string(),
                    });
                    Ok(data)
                })
                .serve()
        })
}

async fn readyz(State(state): State<HttpState>) -> Response {
    let mut problems = Vec::new();
    if state.command_db.ping().await.is_err() {
        problems.push("the command database does not answer");
    }
    if state.read_db.ping().await.is_err() {
        problems.push("the read database does not answer");
    }
    if !state.services.progress.projector_running() {
        problems.push("the projector is not running");
    }
    if problems.is_empty() {
        (StatusCode::OK, axum::Json(json!({ "status": "ready" }))).into_response()
    } else {
        let body = json!({ "status": "unavailable", "reason": problems.join("; ") });
        (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
    }
}

/// The offline GraphiQL page and its assets, compiled into the binary.
mod graphiql {
    use axum::extract::Path;
    use axum::http::{StatusCode, header};
    use axum::response::{Html, IntoResponse, Response};

    const INDEX: &str = include_str!("../assets/graphiql/index.html");
    const ASSETS: [(&str, &str, &[u8]); 4] = [
        (
            "react.production.min.js",
            "text/javascript",
            include_bytes!("../assets/graphiql/react.production.min.js"),
        ),
        (
            "react-dom.production.min.js",
            "text/javascript",
            include_bytes!("../assets/graphiql/react-dom.production.min.js"),
        ),
        (
            "graphiql.min.js",
            "text/javascript",
            include_bytes!("../assets/graphiql/graphiql.min.js"),
        ),
        (
            "graphiql.min.css",
            "text/css",
            include_bytes!("../assets/graphiql/graphiql.min.css"),
        ),
    ];

    pub async fn page() -> Html<&'static str> {
        Html(INDEX)
    }

    pub async fn asset(Path(name): Path<String>) -> Response {
        match ASSETS.iter().find(|(asset, _, _)| *asset == name) {
            Some((_, content_type, body)) => (
                [
                    (header::CONTENT_TYPE, *content_type),
                    (header::CACHE_CONTROL, "public, max-age=86400"),
                ],
                *body,
            )
                .into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        }
    }
}
