//! Query resolvers, split by area: every answer comes from the read side.

mod organizations;
mod parked_events;
mod read_model;
mod users;

use async_graphql::MergedObject;

#[derive(MergedObject, Default)]
pub struct Query(
    users::UserQueries,
    organizations::OrganizationQueries,
    read_model::ReadModelQuery,
    parked_events::ParkedEventQueries,
);
