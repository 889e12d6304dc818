//! rosterql: a GraphQL user directory built the CQRS way.
//!
//! A mutation is a command ([`command`]): validated into domain values ([`domain`]), checked
//! against the aggregate's version, saved together with its event in the [`event_log`], in
//! one transaction on the command database. The projector ([`query::projector`]) reads the
//! log in order and applies it to flat read tables and a moka cache on the read database,
//! then publishes the change to subscriptions. Queries ([`query`]) read only those tables
//! and the cache, so writes never slow reads. [`graphql`] is the thin GraphQL layer over
//! both sides, [`http`] serves it, and [`app`] wires everything together.

pub mod app;
pub mod auth;
pub mod command;
pub mod config;
pub mod db;
pub mod domain;
pub mod event_log;
pub mod graphql;
pub mod http;
pub mod query;
