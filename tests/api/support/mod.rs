//! What every area's tests share: the harness, a database and a server of their own, a
//! WebSocket client and the checks every GraphQL response must pass.

mod app;
mod database;
mod graphql;
pub(crate) mod harness;
mod ws;

pub(crate) use app::{JWT_SECRET, TestApp, keys, test_config};
pub(crate) use database::TestDatabase;
pub(crate) use graphql::{assert_no_errors, error_code};
pub(crate) use harness::{Backend, on_both_databases, on_postgres, without_database};
pub(crate) use ws::WsClient;
