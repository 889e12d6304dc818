//! The GraphQL layer: thin resolvers over the command and query sides.
//!
//! Resolvers parse arguments, call one service and map its error (in [`error`], the one
//! place that turns errors into the contract's `extensions.code`). Mutations run their
//! command through one generic path ([`mutation`]). Who may do what is decided here, from
//! the [`RequestContext`] the HTTP layer attaches.

mod admission;
mod context;
mod error;
mod extension;
mod guard;
mod ids;
mod introspection;
mod limits;
mod mutation;
mod query;
pub mod request_id;
mod response_errors;
mod subscription;
mod types;

pub use admission::WriteAdmission;
pub use context::{IdempotencyKey, RequestContext, Services};
pub use error::{ClientError, ErrorCode};
pub use limits::QueryLimits;

use async_graphql::{Schema, SchemaBuilder};

/// The most operations one batched request may ever carry (the contract's bound; the
/// configured limit may be lower).
pub const MAX_BATCH: usize = 10;

pub type RosterSchema = Schema<query::Query, mutation::Mutation, subscription::Subscription>;

fn builder() -> SchemaBuilder<query::Query, mutation::Mutation, subscription::Subscription> {
    Schema::build(
        query::Query::default(),
        mutation::Mutation::default(),
        subscription::Subscription,
    )
}

/// The schema serving `services`, holding every document to `query_limits`. Without
/// `introspection`, a request selecting `__schema` or `__type` is refused and errors suggest
/// no field names: clients get no map of the API.
pub fn build_schema(
    services: Services,
    introspection: bool,
    query_limits: QueryLimits,
) -> RosterSchema {
    let builder = builder().data(services).extension(extension::RequestRules {
        limits: query_limits,
        introspection,
    });
    if introspection {
        builder.finish()
    } else {
        builder
            .disable_introspection()
            .disable_suggestions()
            .finish()
    }
}

/// The schema's SDL, as `rosterql schema` prints it and `schema.graphql` holds it (whether
/// or not the server allows introspection).
pub fn sdl() -> String {
    builder().finish().sdl()
}
