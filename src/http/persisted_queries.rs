//! Automatic persisted queries (Apollo's protocol): a client sends a query's SHA-256 in
//! `extensions.persistedQuery` instead of its text, so that an anonymous dashboard read is
//! a short `GET` a CDN can cache. A hash the server has not seen is
//! `PERSISTED_QUERY_NOT_FOUND`; the client then sends the text with its hash once, and the
//! server keeps it (bounded by the bytes of text it holds).

use async_graphql::{BatchRequest, Request, Value};
use moka::sync::Cache;

use super::idempotency_key::body_hash;
use super::preflight::Refusal;

/// The most bytes of query text kept by hash.
const CAPACITY_BYTES: u64 = 4 * 1024 * 1024;
/// The one version of the protocol.
const VERSION: i64 = 1;

#[derive(Clone)]
pub(super) struct PersistedQueries {
    by_hash: Cache<String, String>,
}

impl PersistedQueries {
    pub(super) fn new() -> Self {
        Self {
            by_hash: Cache::builder()
                .weigher(|hash: &String, text: &String| {
                    u32::try_from(hash.len() + text.len()).unwrap_or(u32::MAX)
                })
                .max_capacity(CAPACITY_BYTES)
                .build(),
        }
    }

    /// Gives every request of `batch` its query text: its own, or the one its hash names.
    pub(super) fn resolve(&self, batch: &mut BatchRequest) -> Result<(), Refusal> {
        batch
            .iter_mut()
            .try_for_each(|request| self.resolve_one(request))
    }

    fn resolve_one(&self, request: &mut Request) -> Result<(), Refusal> {
        let Some(persisted) = request.extensions.get("persistedQuery") else {
            // The parser reads a missing `query` as an empty one: that is no GraphQL request.
            return match request.query.is_empty() {
                true => Err(Refusal::Unreadable),
                false => Ok(()),
            };
        };
        let hash = hash_of(persisted).ok_or(Refusal::BadPersistedQuery)?;
        if request.query.is_empty() {
            request.query = self
                .by_hash
                .get(&hash)
                .ok_or(Refusal::PersistedQueryNotFound)?;
            return Ok(());
        }
        if body_hash(request.query.as_bytes()) != hash {
            return Err(Refusal::PersistedQueryMismatch);
        }
        self.by_hash.insert(hash, request.query.clone());
        Ok(())
    }
}

/// The lower-case hex hash `extensions.persistedQuery` names, when it is version 1's shape.
fn hash_of(persisted: &Value) -> Option<String> {
    let Value::Object(fields) = persisted else {
        return None;
    };
    let version = match fields.get("version") {
        Some(Value::Number(number)) => number.as_i64(),
        _ => None,
    };
    let hash = match fields.get("sha256Hash") {
        Some(Value::String(hash)) => hash,
        _ => return None,
    };
    let well_formed = hash.len() == 64 && hash.bytes().all(|byte| byte.is_ascii_hexdigit());
    (version == Some(VERSION) && well_formed).then(|| hash.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use async_graphql::Name;
    use indexmap::IndexMap;

    use super::*;

    const QUERY: &str = "{ organizations { totalCount } }";

    fn with_hash(query: &str, hash: &str) -> BatchRequest {
        let mut fields = IndexMap::new();
        fields.insert(Name::new("version"), Value::from(1));
        fields.insert(Name::new("sha256Hash"), Value::from(hash));
        let mut request = Request::new(query);
        request
            .extensions
            .insert("persistedQuery".to_owned(), Value::Object(fields));
        BatchRequest::Single(request)
    }

    #[test]
    fn a_hash_is_found_once_its_text_was_sent_with_it() {
        let queries = PersistedQueries::new();
        let hash = body_hash(QUERY.as_bytes());
        assert!(matches!(
            queries.resolve(&mut with_hash("", &hash)),
            Err(Refusal::PersistedQueryNotFound)
        ));
        assert!(queries.resolve(&mut with_hash(QUERY, &hash)).is_ok());
        let mut by_hash = with_hash("", &hash);
        assert!(queries.resolve(&mut by_hash).is_ok());
        let BatchRequest::Single(request) = by_hash else {
            panic!("a single request");
        };
        assert_eq!(request.query, QUERY);
    }

    #[test]
    fn a_text_that_is_not_its_hash_or_a_malformed_hash_is_refused() {
        let queries = PersistedQueries::new();
        let other = body_hash(b"{ other }");
        assert!(matches!(
            queries.resolve(&mut with_hash(QUERY, &other)),
            Err(Refusal::PersistedQueryMismatch)
        ));
        assert!(matches!(
            queries.resolve(&mut with_hash(QUERY, "abc")),
            Err(Refusal::BadPersistedQuery)
        ));
        assert!(matches!(
            queries.resolve(&mut BatchRequest::Single(Request::new(""))),
            Err(Refusal::Unreadable)
        ));
    }
}
