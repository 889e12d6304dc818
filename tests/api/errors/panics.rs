//! A panicking handler is answered with a coded GraphQL error (500, INTERNAL_SERVER_ERROR,
//! the request's id, not the panic's message), logged with that id, and the server keeps
//! serving.
//!
//! The server's own handlers have no way to panic that a test could reach without a
//! backdoor, which production code must not have. So the guard every route of the real
//! router is wrapped in ([`rosterql::http::with_request_guard`]) wraps here a route that
//! panics, served over TCP like the real one; that the real router is wrapped in it shows
//! in its `X-Request-Id` answers (`errors::request_ids`).

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::routing::{get, post};
use libtest_mimic::Trial;
use serde_json::{Value, json};

use crate::support::without_database;

const SECRET_DETAIL: &str = "the handler's private state";

async fn panicking_handler() -> &'static str {
    panic!("{SECRET_DETAIL}")
}

/// Log lines written to memory.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Log {
    fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for Log {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut log = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        log.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn a_panicking_handler_gets_a_coded_500_with_its_request_id_and_the_server_serves_on() {
    let log = Log::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    // The server runs on this thread alone, so everything it logs goes to `log`.
    let _logging = tracing::subscriber::set_default(subscriber);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let routes = Router::new()
            .route("/graphql", post(panicking_handler))
            .route("/healthz", get(|| async { "ok" }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let address = listener.local_addr().expect("an address");
        tokio::spawn(
            axum::serve(listener, rosterql::http::with_request_guard(routes)).into_future(),
        );
        let client = reqwest::Client::new();

        for request_id in ["trace-panic-1", "trace-panic-2"] {
            let response = client
                .post(format!("http://{address}/graphql"))
                .header("x-request-id", request_id)
                .json(&json!({ "query": "{ __typename }" }))
                .send()
                .await
                .expect("the panic is answered");
            assert_eq!(response.status(), 500);
            assert_eq!(response.headers()["x-request-id"], request_id);
            assert_eq!(response.headers()["content-type"], "application/json");
            let body: Value = response.json().await.expect("a JSON body");
            let error = &body["errors"][0];
            assert_eq!(
                error["extensions"]["code"], "INTERNAL_SERVER_ERROR",
                "{body}"
            );
            assert_eq!(error["extensions"]["requestId"], request_id, "{body}");
            assert!(!body.to_string().contains(SECRET_DETAIL), "{body}");
        }
        let health = client
            .get(format!("http://{address}/healthz"))
            .send()
            .await
            .expect("the server serves on");
        assert_eq!(health.status(), 200);
    });

    let log = log.text();
    for request_id in ["trace-panic-1", "trace-panic-2"] {
        assert!(
            log.lines()
                .any(|line| line.contains(request_id) && line.contains(SECRET_DETAIL)),
            "no log line names {request_id} with the panic: {log}"
        );
    }
}

pub(super) fn trials() -> Vec<Trial> {
    without_database!(
        a_panicking_handler_gets_a_coded_500_with_its_request_id_and_the_server_serves_on
    )
}
