//! The offline GraphiQL page and its assets, compiled into the binary. The page opens on a
//! starter document (example queries, a mutation, a subscription); in development it also
//! carries the admin token logged at start in its headers.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use super::HttpState;

const INDEX: &str = include_str!("../../assets/graphiql/index.html");
const STARTER: &str = include_str!("../../assets/graphiql/starter.graphql");
/// Where the page takes its defaults from the server.
const DEFAULTS_SLOT: &str = "/*ROSTERQL_DEFAULTS*/{}";
const ASSETS: [(&str, &str, &[u8]); 4] = [
    (
        "react.production.min.js",
        "text/javascript",
        include_bytes!("../../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript",
        include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    ),
    (
        "graphiql.min.js",
        "text/javascript",
        include_bytes!("../../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css",
        include_bytes!("../../assets/graphiql/graphiql.min.css"),
    ),
];

/// The page, opening on the starter document, with `token` in its headers when given.
pub(super) fn render(token: Option<&str>) -> Bytes {
    let headers = token.map(|token| {
        let headers = json!({ "Authorization": format!("Bearer {token}") });
        serde_json::to_string_pretty(&headers).unwrap_or_default()
    });
    let defaults = json!({ "query": STARTER, "headers": headers }).to_string();
    // Inside a script element: nothing in it may close the element.
    let defaults = defaults.replace('<', "\\u003c");
    Bytes::from(INDEX.replacen(DEFAULTS_SLOT, &defaults, 1))
}

pub(super) async fn page(State(state): State<HttpState>) -> Html<Bytes> {
    Html(state.playground.clone())
}

pub(super) async fn asset(Path(name): Path<String>) -> Response {
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
