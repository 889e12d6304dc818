//! `Cache-Control` on GraphQL answers over HTTP, so anonymous dashboard reads can be cached
//! by a CDN or a browser while nothing private or stale is: a query without a token or a
//! consistency token that ran without an error may be kept by anyone for the configured
//! max-age (`Vary` names the headers that would change it); an answer to a caller with a
//! token is `private, no-store`; anything else (a mutation, an error, a refusal, a read that
//! must reflect a consistency token) is `no-store`.

use async_graphql::BatchResponse;
use axum::http::header::{CACHE_CONTROL, VARY};
use axum::http::{HeaderValue, Response};

/// What may keep an answer, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Caching {
    /// Anyone, for `max_age` seconds.
    Public { max_age: u64 },
    /// Only the caller, and not even it, on disk.
    Private,
    /// Nobody.
    NoStore,
}

/// What a request was, as far as caching its answer goes.
#[derive(Debug, Clone, Copy)]
pub(super) struct Asked {
    pub with_token: bool,
    pub with_consistency_token: bool,
    pub mutation: bool,
}

impl Caching {
    /// The caching of `response` to `asked`, public ones for at most `max_age` seconds (0:
    /// none public).
    pub(super) fn of(asked: Asked, response: &BatchResponse, max_age: u64) -> Self {
        let clean = match response {
            BatchResponse::Single(single) => single.errors.is_empty(),
            BatchResponse::Batch(all) => all.iter().all(|single| single.errors.is_empty()),
        };
        if asked.with_token {
            Self::Private
        } else if asked.mutation || asked.with_consistency_token || !clean || max_age == 0 {
            Self::NoStore
        } else {
            Self::Public { max_age }
        }
    }

    /// Sets the headers on `response`.
    pub(super) fn apply<B>(self, response: &mut Response<B>) {
        let headers = response.headers_mut();
        let value = match self {
            Self::Public { max_age } => {
                headers.insert(
                    VARY,
                    HeaderValue::from_static("Authorization, X-Consistency-Token, Accept"),
                );
                format!("public, max-age={max_age}")
            }
            Self::Private => "private, no-store".to_owned(),
            Self::NoStore => "no-store".to_owned(),
        };
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(CACHE_CONTROL, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{Response as GraphQLResponse, ServerError};

    use super::*;

    fn asked(with_token: bool, with_consistency_token: bool, mutation: bool) -> Asked {
        Asked {
            with_token,
            with_consistency_token,
            mutation,
        }
    }

    #[test]
    fn only_a_clean_anonymous_query_without_a_consistency_token_is_public() {
        let ok = BatchResponse::Single(GraphQLResponse::default());
        let failed = BatchResponse::Single(GraphQLResponse::from_errors(vec![ServerError::new(
            "no", None,
        )]));
        let public = Caching::Public { max_age: 5 };
        assert_eq!(Caching::of(asked(false, false, false), &ok, 5), public);
        assert_eq!(
            Caching::of(asked(true, false, false), &ok, 5),
            Caching::Private
        );
        assert_eq!(
            Caching::of(asked(true, false, true), &ok, 5),
            Caching::Private
        );
        assert_eq!(
            Caching::of(asked(false, true, false), &ok, 5),
            Caching::NoStore
        );
        assert_eq!(
            Caching::of(asked(false, false, true), &ok, 5),
            Caching::NoStore
        );
        assert_eq!(
            Caching::of(asked(false, false, false), &failed, 5),
            Caching::NoStore
        );
        assert_eq!(
            Caching::of(asked(false, false, false), &ok, 0),
            Caching::NoStore
        );
    }
}
