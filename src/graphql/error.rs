//! The one mapping from errors to the contract's `extensions.code`.
//!
//! A server-side cause (a database error) is logged here and never sent: the client gets
//! the code and a plain message.

use async_graphql::{Error, ErrorExtensions};

use crate::command::CommandError;
use crate::domain::DomainError;
use crate::query::QueryError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    BadUserInput,
    NotFound,
    VersionConflict,
    AlreadyExists,
    Unauthenticated,
    Forbidden,
    ConsistencyTimeout,
    ServiceUnavailable,
    InternalServerError,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::NotFound => "NOT_FOUND",
            Self::VersionConflict => "VERSION_CONFLICT",
            Self::AlreadyExists => "ALREADY_EXISTS",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::ConsistencyTimeout => "CONSISTENCY_TIMEOUT",
            Self::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            Self::InternalServerError => "INTERNAL_SERVER_ERROR",
        }
    }
}

/// An error for the client, with its code.
pub fn client_error(code: ErrorCode, message: impl Into<String>) -> Error {
    Error::new(message).extend_with(|_, extensions| extensions.set("code", code.as_str()))
}

/// `BAD_USER_INPUT` naming the offending input field.
pub fn bad_input(field: &str, message: impl std::fmt::Display) -> Error {
    let field = field.to_owned();
    client_error(ErrorCode::BadUserInput, format!("{field} {message}"))
        .extend_with(move |_, extensions| extensions.set("field", field.as_str()))
}

fn unavailable(cause: &dyn std::error::Error) -> Error {
    tracing::warn!(error = %cause, "database unavailable");
    client_error(
        ErrorCode::ServiceUnavailable,
        "a database is unavailable; try again",
    )
}

fn internal(cause: &dyn std::error::Error) -> Error {
    tracing::error!(error = ?cause, "request failed");
    client_error(ErrorCode::InternalServerError, "internal error")
}

// Each layer's error becomes a client error through `ErrorExtensions::extend` (resolvers
// call `.extend()` on results), never through async-graphql's catch-all `From<Display>`,
// which would drop the code.

impl ErrorExtensions for DomainError {
    fn extend(&self) -> Error {
        let DomainError::Invalid { field, message } = self;
        bad_input(field, message)
    }
}

/// The code a command error is reported with (also its outcome label in the metrics).
pub fn command_error_code(error: &CommandError) -> ErrorCode {
    match error {
        CommandError::Invalid(_) => ErrorCode::BadUserInput,
        CommandError::NotFound(_) => ErrorCode::NotFound,
        CommandError::VersionConflict { .. } => ErrorCode::VersionConflict,
        CommandError::AlreadyExists { .. } => ErrorCode::AlreadyExists,
        CommandError::Unavailable(_) => ErrorCode::ServiceUnavailable,
        CommandError::Internal(_) => ErrorCode::InternalServerError,
    }
}

impl ErrorExtensions for CommandError {
    fn extend(&self) -> Error {
        let error = self;
        match *error {
            CommandError::Invalid(ref invalid) => invalid.extend(),
            CommandError::NotFound(_) => client_error(ErrorCode::NotFound, error.to_string()),
            CommandError::VersionConflict { expected, actual } => {
                client_error(ErrorCode::VersionConflict, error.to_string()).extend_with(
                    move |_, extensions| {
                        extensions.set("expectedVersion", expected);
                        extensions.set("actualVersion", actual);
                    },
                )
            }
            CommandError::AlreadyExists { field } => {
                client_error(ErrorCode::AlreadyExists, error.to_string())
                    .extend_with(move |_, extensions| extensions.set("field", field))
            }
            CommandError::Unavailable(ref cause) => unavailable(cause),
            CommandError::Internal(ref cause) => internal(cause),
        }
    }
}

impl ErrorExtensions for QueryError {
    fn extend(&self) -> Error {
        let error = self;
        match *error {
            QueryError::Invalid { field, ref message } => bad_input(field, message),
            QueryError::ConsistencyTimeout => {
                client_error(ErrorCode::ConsistencyTimeout, error.to_string())
            }
            QueryError::Unavailable(ref cause) => unavailable(cause),
            QueryError::Internal(ref cause) => internal(cause),
        }
    }
}
