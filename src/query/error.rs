//! Why a read failed.

use sea_orm::DbErr;

use crate::db;

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("the read side did not reach the requested position in time")]
    ConsistencyTimeout,
    #[error("the read database is unavailable")]
    Unavailable(#[source] DbErr),
    #[error("the read failed")]
    Internal(#[source] DbErr),
}

impl QueryError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }
}

impl From<DbErr> for QueryError {
    fn from(error: DbErr) -> Self {
        if db::is_unavailable(&error) {
            Self::Unavailable(error)
        } else {
            Self::Internal(error)
        }
    }
}

/// Refuses text with a control character, which no stored name, email or slug holds (the
/// command side refuses them) and Postgres cannot even compare with (NUL).
pub(super) fn printable(field: &'static str, text: &str) -> Result<(), QueryError> {
    if text.chars().any(char::is_control) {
        return Err(QueryError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}
