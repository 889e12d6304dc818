//! The one mapping from errors to what the client sees: `extensions.code`, the message and
//! the code's extra extensions.
//!
//! Every error a client can meet passes through here: domain, command, query, token and
//! access errors, the HTTP refusals, the WebSocket `connection_init` rejection, and
//! async-graphql's own errors that come without a code. The metrics' outcome labels use the
//! same codes. A server-side cause (a database error, a panic) is logged here and never
//! sent: the client gets `INTERNAL_SERVER_ERROR` or `SERVICE_UNAVAILABLE` with the request's
//! id in `extensions.requestId`, and the log line of the cause names the same id.

use async_graphql::parser::types::Field;
use async_graphql::{Error, ErrorExtensionValues, ErrorExtensions, ServerError, Value};

use super::request_id;
use crate::auth::{AccessError, AuthError};
use crate::command::CommandError;
use crate::domain::DomainError;
use crate::http::{Refusal, retry_after_seconds};
use crate::query::QueryError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    BadUserInput,
    NotFound,
    VersionConflict,
    AlreadyExists,
    Unauthenticated,
    Forbidden,
    ConsistencyTimeout,
    IdempotencyKeyReused,
    ServiceUnavailable,
    TooManySubscriptions,
    RateLimited,
    PersistedQueryNotFound,
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
            Self::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            Self::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            Self::TooManySubscriptions => "TOO_MANY_SUBSCRIPTIONS",
            Self::RateLimited => "RATE_LIMITED",
            Self::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Self::InternalServerError => "INTERNAL_SERVER_ERROR",
        }
    }
}

/// An error as the client sees it. Deliberately not `Display`: it becomes an
/// [`async_graphql::Error`] only through this module, with its code.
#[derive(Debug, Clone)]
pub struct ClientError {
    code: ErrorCode,
    message: String,
    extensions: Vec<(&'static str, Value)>,
}

impl ClientError {
    fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            extensions: Vec::new(),
        }
    }

    fn with(mut self, key: &'static str, value: impl Into<Value>) -> Self {
        self.extensions.push((key, value.into()));
        self
    }

    /// `BAD_USER_INPUT` naming the offending input field.
    pub fn bad_input(field: &str, message: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::BadUserInput, format!("{field} {message}")).with("field", field)
    }

    /// The id of the request being served, in the extensions when there is one.
    fn with_request_id(self, request_id: Option<String>) -> Self {
        match request_id {
            Some(id) => self.with("requestId", id),
            None => self,
        }
    }

    /// A WebSocket already runs as many operations as one may.
    pub fn too_many_subscriptions(most: usize) -> Self {
        Self::new(
            ErrorCode::TooManySubscriptions,
            format!("a WebSocket may run at most {most} operations at once; complete one first"),
        )
    }

    /// `BAD_USER_INPUT` for a document past one of its limits: which, by how much.
    pub(super) fn over_limit(limit: &'static str, actual: usize, maximum: usize) -> Self {
        Self::new(
            ErrorCode::BadUserInput,
            format!("the query is over its {limit} limit: {actual}, at most {maximum}"),
        )
        .with("limit", limit)
        .with("maximum", maximum)
    }

    /// `SERVICE_UNAVAILABLE` for a request that ran out of its time; it may be retried.
    pub fn timed_out(limit: std::time::Duration) -> Self {
        let limit = humantime::format_duration(limit);
        Self::new(
            ErrorCode::ServiceUnavailable,
            format!("the request did not finish within {limit}; try again"),
        )
    }

    fn unavailable(cause: &dyn std::error::Error) -> Self {
        let request_id = request_id::current();
        tracing::warn!(request_id = %logged(request_id.as_deref()), error = %cause, "database unavailable");
        Self::new(
            ErrorCode::ServiceUnavailable,
            "a database is unavailable; try again",
        )
        .with_request_id(request_id)
    }

    fn internal(cause: &dyn std::error::Error) -> Self {
        let request_id = request_id::current();
        tracing::error!(request_id = %logged(request_id.as_deref()), error = ?cause, "request failed");
        Self::new(ErrorCode::InternalServerError, "internal error").with_request_id(request_id)
    }

    /// The schema was built without its services: a wiring bug, not the client's fault.
    pub(super) fn missing_services() -> Self {
        let request_id = request_id::current();
        tracing::error!(request_id = %logged(request_id.as_deref()), "the schema has no services attached");
        Self::new(ErrorCode::InternalServerError, "internal error").with_request_id(request_id)
    }

    /// A request handler panicked with `message`: a bug, logged, never shown.
    pub fn panicked(message: &str) -> Self {
        let request_id = request_id::current();
        tracing::error!(request_id = %logged(request_id.as_deref()), panic = message, "a request panicked");
        Self::new(ErrorCode::InternalServerError, "internal error").with_request_id(request_id)
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    fn extension_values(&self) -> ErrorExtensionValues {
        let mut values = ErrorExtensionValues::default();
        values.set("code", self.code.as_str());
        for (key, value) in &self.extensions {
            values.set(*key, value.clone());
        }
        values
    }

    /// The error as a response error outside any field (a refused request).
    pub fn into_server_error(self) -> ServerError {
        let mut error = ServerError::new(&self.message, None);
        error.extensions = Some(self.extension_values());
        error
    }
}

impl From<ClientError> for Error {
    fn from(error: ClientError) -> Self {
        Error {
            message: error.message.clone(),
            source: None,
            extensions: Some(error.extension_values()),
        }
    }
}

impl From<&DomainError> for ClientError {
    fn from(error: &DomainError) -> Self {
        let DomainError::Invalid { field, message } = error;
        Self::bad_input(field, message)
    }
}

impl From<&CommandError> for ClientError {
    fn from(error: &CommandError) -> Self {
        match *error {
            CommandError::Invalid(ref invalid) => invalid.into(),
            CommandError::NotFound(_) => Self::new(ErrorCode::NotFound, error.to_string()),
            CommandError::VersionConflict { expected, actual } => {
                Self::new(ErrorCode::VersionConflict, error.to_string())
                    .with("expectedVersion", expected)
                    .with("actualVersion", actual)
            }
            CommandError::AlreadyExists { field } => {
                Self::new(ErrorCode::AlreadyExists, error.to_string()).with("field", field)
            }
            CommandError::IdempotencyKeyReused => {
                Self::new(ErrorCode::IdempotencyKeyReused, error.to_string())
            }
            CommandError::IdempotencyKeyTaken => {
                Self::new(ErrorCode::ServiceUnavailable, error.to_string())
            }
            CommandError::Unavailable(ref cause) => Self::unavailable(cause),
            CommandError::Internal(ref cause) => Self::internal(cause),
        }
    }
}

impl From<&QueryError> for ClientError {
    fn from(error: &QueryError) -> Self {
        match *error {
            QueryError::Invalid { field, ref message } => Self::bad_input(field, message),
            QueryError::ConsistencyTimeout => {
                Self::new(ErrorCode::ConsistencyTimeout, error.to_string())
            }
            QueryError::Unavailable(ref cause) => Self::unavailable(cause),
            QueryError::Internal(ref cause) => Self::internal(cause),
        }
    }
}

impl From<&AuthError> for ClientError {
    fn from(error: &AuthError) -> Self {
        Self::new(ErrorCode::Unauthenticated, error.to_string())
    }
}

impl From<&AccessError> for ClientError {
    fn from(error: &AccessError) -> Self {
        let code = match error {
            AccessError::SignInRequired => ErrorCode::Unauthenticated,
            AccessError::AdminOnly | AccessError::EmailHidden => ErrorCode::Forbidden,
        };
        Self::new(code, error.to_string())
    }
}

impl From<&Refusal> for ClientError {
    fn from(refusal: &Refusal) -> Self {
        match refusal {
            Refusal::Unreadable
            | Refusal::UnsupportedMediaType
            | Refusal::NotAcceptable
            | Refusal::TooLarge(_)
            | Refusal::MutationOverGet
            | Refusal::BatchTooLarge(_)
            | Refusal::BadIdempotencyKey
            | Refusal::IdempotencyKeyOnBatch
            | Refusal::BadConsistencyToken
            | Refusal::PersistedQueryMismatch
            | Refusal::BadPersistedQuery => Self::new(ErrorCode::BadUserInput, refusal.to_string()),
            Refusal::PersistedQueryNotFound => {
                Self::new(ErrorCode::PersistedQueryNotFound, refusal.to_string())
            }
            Refusal::BadToken(error) => error.into(),
            Refusal::RateLimited(limited) => Self::new(ErrorCode::RateLimited, refusal.to_string())
                .with("retryAfter", retry_after_seconds(limited)),
            Refusal::ReadSideBehind(error) => error.into(),
        }
    }
}

/// Each layer's error reaches a resolver's caller through `.extend()` (or `?` on a
/// [`ClientError`]), never through async-graphql's catch-all `From<Display>`, which would
/// drop the code.
macro_rules! coded {
    ($($error:ty),*) => {
        $(impl From<$error> for ClientError {
            fn from(error: $error) -> Self {
                Self::from(&error)
            }
        }

        impl ErrorExtensions for $error {
            fn extend(&self) -> Error {
                ClientError::from(self).into()
            }
        })*
    };
}
coded!(
    DomainError,
    CommandError,
    QueryError,
    AuthError,
    AccessError
);

/// Codes the error a field failed with when it was the field's arguments that could not be
/// read. async-graphql reports an argument it cannot parse (an `Int` outside 32 bits, an
/// input object holding one) without a code, located at the argument's value; every other
/// error of a field, ours or the library's, is located at the field itself. So an error
/// located at an argument is the client's: `BAD_USER_INPUT` naming that argument.
pub(super) fn give_argument_code(error: &mut ServerError, field: &Field) {
    let extensions = error
        .extensions
        .get_or_insert_with(ErrorExtensionValues::default);
    if extensions.get("code").is_some() {
        return;
    }
    let Some(argument) = field.arguments.iter().find_map(|(name, value)| {
        error
            .locations
            .contains(&value.pos)
            .then_some(name.node.as_str())
    }) else {
        return;
    };
    extensions.set("code", ErrorCode::BadUserInput.as_str());
    extensions.set("field", argument);
}

/// Gives a code to an error that reached the response without one. With no path it was
/// raised before execution, so the request itself was wrong: `BAD_USER_INPUT`. With a path
/// it escaped a resolver without passing through this module (an argument's error was coded
/// by [`give_argument_code`] already): `INTERNAL_SERVER_ERROR`, with its message replaced.
pub(super) fn give_code(error: &mut ServerError) {
    let extensions = error
        .extensions
        .get_or_insert_with(ErrorExtensionValues::default);
    if extensions.get("code").is_some() {
        return;
    }
    if error.path.is_empty() {
        extensions.set("code", ErrorCode::BadUserInput.as_str());
    } else {
        let request_id = request_id::current();
        tracing::error!(
            request_id = %logged(request_id.as_deref()),
            message = %error.message,
            path = ?error.path,
            "an error escaped without a code"
        );
        extensions.set("code", ErrorCode::InternalServerError.as_str());
        if let Some(id) = request_id {
            extensions.set("requestId", id);
        }
        error.message = "internal error".to_owned();
    }
}

/// A request id as a log line shows it.
fn logged(request_id: Option<&str>) -> &str {
    request_id.unwrap_or("none")
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::types::{DocumentOperations, Selection};
    use async_graphql::parser::{Positioned, parse_query};
    use async_graphql::{PathSegment, Pos};

    use super::*;

    /// The root field of `query`, where the parser found it.
    fn root_field(query: &str) -> Positioned<Field> {
        let document = parse_query(query).unwrap();
        let DocumentOperations::Single(operation) = document.operations else {
            panic!("one operation");
        };
        let Selection::Field(field) = &operation.node.selection_set.node.items[0].node else {
            panic!("a field");
        };
        field.clone()
    }

    /// An error without a code at `pos`, on the path of root field `users`.
    fn uncoded_at(pos: Pos) -> ServerError {
        ServerError::new("Failed to parse \"Int\"", Some(pos))
            .with_path(vec![PathSegment::Field("users".to_owned())])
    }

    fn extension(error: &ServerError, name: &str) -> Option<Value> {
        error.extensions.as_ref()?.get(name).cloned()
    }

    #[test]
    fn an_uncoded_error_at_an_argument_is_bad_user_input_naming_it() {
        let field = root_field("{ users(first: 1, last: 99999999999) { totalCount } }");
        let mut error = uncoded_at(field.node.arguments[1].1.pos);
        give_argument_code(&mut error, &field.node);
        give_code(&mut error);
        assert_eq!(extension(&error, "code"), Some("BAD_USER_INPUT".into()));
        assert_eq!(extension(&error, "field"), Some("last".into()));
    }

    #[test]
    fn an_uncoded_error_at_the_field_itself_stays_internal() {
        let field = root_field("{ users(first: 1) { totalCount } }");
        let mut error = uncoded_at(field.pos);
        give_argument_code(&mut error, &field.node);
        give_code(&mut error);
        assert_eq!(
            extension(&error, "code"),
            Some("INTERNAL_SERVER_ERROR".into())
        );
        assert_eq!(error.message, "internal error");
    }

    #[test]
    fn a_coded_error_at_an_argument_keeps_its_code() {
        let field = root_field("{ users(first: 1) { totalCount } }");
        let mut error = uncoded_at(field.node.arguments[0].1.pos);
        error
            .extensions
            .get_or_insert_with(ErrorExtensionValues::default)
            .set("code", "NOT_FOUND");
        give_argument_code(&mut error, &field.node);
        assert_eq!(extension(&error, "code"), Some("NOT_FOUND".into()));
        assert_eq!(extension(&error, "field"), None);
    }
}
