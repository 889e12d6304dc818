//! Integration tests: the real server on a free port, spoken to over HTTP and WebSocket,
//! each test on its own database, on SQLite and on Postgres.
//!
//! A libtest-mimic harness (`harness = false`): each area module lists its trials, and
//! [`support::harness`] decides how Postgres trials run (ignored when Postgres is
//! unreachable, failed when it is and `CI=true`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
#[path = "../fixtures/values.rs"]
#[allow(unreachable_pub, dead_code)]
mod values;

mod auth;
mod cli;
mod commands;
mod errors;
mod hostile;
mod http;
mod instances;
mod projector;
mod queries;
mod subscriptions;
mod websocket;

fn main() {
    let trials = [
        auth::trials(),
        cli::trials(),
        commands::trials(),
        errors::trials(),
        hostile::trials(),
        http::trials(),
        instances::trials(),
        projector::trials(),
        queries::trials(),
        subscriptions::trials(),
        websocket::trials(),
    ];
    support::harness::run(trials.into_iter().flatten().collect());
}
