//! Integration tests: the real server on a free port, spoken to over HTTP and WebSocket,
//! each test on its own database, on SQLite and on Postgres.
//!
//! A libtest-mimic harness (`harness = false`): each area module lists its trials, and
//! [`support::harness`] decides how Postgres trials run (ignored when Postgres is
//! unreachable, failed when it is and `CI=true`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
#[path = "../fixtures/values.rs"]
mod values;

mod auth;
mod cli;
mod commands;
mod http;
mod projector;
mod queries;
mod subscriptions;

fn main() {
    let arguments = libtest_mimic::Arguments::from_args();
    let mut trials = [
        auth::trials(),
        cli::trials(),
        commands::trials(),
        http::trials(),
        projector::trials(),
        queries::trials(),
        subscriptions::trials(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>();
    trials.sort_by(|a, b| a.name().cmp(b.name()));
    libtest_mimic::run(&arguments, trials).exit();
}
