//! Why a command was refused.

use sea_orm::DbErr;

use super::store;
use crate::db;
use crate::domain::DomainError;

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Invalid(#[from] DomainError),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("expected version {expected}, but the current version is {actual}")]
    VersionConflict { expected: i32, actual: i32 },
    #[error("{field} is already taken")]
    AlreadyExists { field: &'static str },
    #[error("this idempotency key was used with another request")]
    IdempotencyKeyReused,
    /// Another attempt with the same idempotency key committed while this one ran; it is
    /// answered with that attempt's outcome (see [`super::CommandService::execute`]).
    #[error("another attempt with this idempotency key is running; try again")]
    IdempotencyKeyTaken,
    #[error("the command database is unavailable")]
    Unavailable(#[source] DbErr),
    #[error("the command failed")]
    Internal(#[source] DbErr),
}

impl From<DbErr> for CommandError {
    fn from(error: DbErr) -> Self {
        if db::is_unavailable(&error) {
            return Self::Unavailable(error);
        }
        match store::taken_field(&error) {
            Some(field) => Self::AlreadyExists { field },
            None => Self::Internal(error),
        }
    }
}
