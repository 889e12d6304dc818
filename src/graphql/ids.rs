//! GraphQL `ID`s are UUIDs; anything else is a `BAD_USER_INPUT` naming the argument.

use async_graphql::{ID, Result};
use uuid::Uuid;

use super::error::bad_input;

pub fn parse_id(field: &str, id: &ID) -> Result<Uuid> {
    Uuid::parse_str(id.as_str()).map_err(|_| bad_input(field, "is not a valid id"))
}

pub fn parse_optional_id(field: &str, id: Option<&ID>) -> Result<Option<Uuid>> {
    id.map(|id| parse_id(field, id)).transpose()
}
