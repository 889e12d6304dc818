//! What every area's tests share: the harness, a database and a server of their own, a
//! WebSocket client and the checks every GraphQL response must pass.

mod app;
mod cluster;
mod database;
mod graphql;
pub(crate) mod harness;
pub(crate) mod hold;
mod listener;
mod metrics;
mod process;
pub(crate) mod throwaway_postgres;
mod ws;

pub(crate) use app::{JWT_SECRET, TestApp, keys, test_config};
pub(crate) use cluster::{Cluster, ClusterView, Endpoint};
pub(crate) use database::{TestDatabase, execute_sql};
pub(crate) use graphql::{
    ORGANIZATION_FIELDS, USER_FIELDS, assert_no_errors, assert_no_internal_detail, error_code,
    input, mutation_document, snapshot, text, user_changed,
};
pub(crate) use harness::{Backend, needs_tool, on_both_databases, on_postgres, without_database};
pub(crate) use listener::{FollowingListener, ListenerRecord, SeenChange};
pub(crate) use metrics::counter;
pub(crate) use process::{
    refused_at_start, refused_at_start_unsetting, rosterql_output, run_node, run_rosterql,
};
pub(crate) use ws::{Frame, WsClient};
