//! The GraphQL layer: thin resolvers over the command and query sides.
//!
//! Resolvers parse arguments, call one service and map its error (in [`error`], the one
//! place that turns errors into the contract's `extensions.code`). Who may do what is
//! decided here, from the [`RequestContext`] the HTTP layer attaches.

mod context;
mod error;
mod error_codes;
mod guard;
mod ids;
mod mutation;
mod null_on_error;
mod query;
mod subscription;
mod types;

pub use context::{RequestContext, Services};
pub use error::{ErrorCode, client_error};

use async_graphql::Schema;

/// The most operations one batched request may carry.
pub const MAX_BATCH: usize = 10;

pub type RosterSchema = Schema<query::Query, mutation::Mutation, subscription::Subscription>;

pub fn build_schema(services: Services) -> RosterSchema {
    Schema::build(query::Query, mutation::Mutation, subscription::Subscription)
        .data(services)
        // Outermost first: codes are given to the errors null_on_error hands back too.
        .extension(error_codes::ErrorCodes)
        .extension(null_on_error::NullOnError)
        .finish()
}

/// The schema's SDL, as `rosterql schema` prints it and `schema.graphql` holds it.
pub fn sdl() -> String {
    Schema::build(query::Query, mutation::Mutation, subscription::Subscription)
        .finish()
        .sdl()
}
