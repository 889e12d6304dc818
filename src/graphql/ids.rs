//! GraphQL `ID`s are UUIDs; anything else is a `BAD_USER_INPUT` naming the argument.

use async_graphql::ID;
use uuid::Uuid;

use super::error::ClientError;

pub(super) fn parse_id(field: &str, id: &ID) -> Result<Uuid, ClientError> {
    Uuid::parse_str(id.as_str()).map_err(|_| ClientError::bad_input(field, "is not a valid id"))
}

pub(super) fn parse_optional_id(field: &str, id: Option<&ID>) -> Result<Option<Uuid>, ClientError> {
    id.map(|id| parse_id(field, id)).transpose()
}
