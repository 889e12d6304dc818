//! Why a command was refused.

use sea_orm::{DbErr, SqlErr};

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
    #[error("the command database is unavailable")]
    Unavailable(#[source] DbErr),
    #[error("the command failed")]
    Internal(#[source] DbErr),
}

/// Unique keys a client can collide with, by a word their constraint's name or message holds.
const UNIQUE_FIELDS: [&str; 2] = ["email", "slug"];

impl From<DbErr> for CommandError {
    fn from(error: DbErr) -> Self {
        if db::is_unavailable(&error) {
            return Self::Unavailable(error);
        }
        if let Some(SqlErr::UniqueConstraintViolation(message)) = error.sql_err()
            && let Some(field) = UNIQUE_FIELDS
                .into_iter()
                .find(|field| message.contains(field))
        {
            return Self::AlreadyExists { field };
        }
        Self::Internal(error)
    }
}
