#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]
//! Integration tests: the real server on a free port, spoken to over HTTP and WebSocket,
//! each test on its own database, on SQLite and on Postgres.

mod helpers;

mod auth;
mod cli;
mod commands;
mod concurrency;
mod consistency;
mod event_ordering;
mod get_requests;
mod http_routes;
mod outage;
mod queries;
mod restart;
mod schema;
mod slow_listeners;
mod smoke;
mod split_databases;
mod subscriptions;
