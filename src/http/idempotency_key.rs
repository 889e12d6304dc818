//! The `Idempotency-Key` of a request: 1 to 255 visible characters, on a single request
//! (not a batch), paired with the SHA-256 of the body it came with, so that a retry with
//! the same key and another body can be told apart.

use async_graphql::BatchRequest;
use axum::http::HeaderMap;
use sha2::{Digest, Sha256};

use super::preflight::Refusal;
use crate::graphql::IdempotencyKey;

const IDEMPOTENCY_KEY: &str = "idempotency-key";
const MAX_KEY_CHARS: usize = 255;

/// Whether `headers` carry an idempotency key (then the body is hashed as it is read).
pub(super) fn present(headers: &HeaderMap) -> bool {
    headers.contains_key(IDEMPOTENCY_KEY)
}

/// The SHA-256 of a request body (or a persisted query's text), in hex.
pub(super) fn body_hash(body: &[u8]) -> String {
    format!("{:x}", Sha256::digest(body))
}

/// The request's idempotency key with the hash of its body (None without a key, or
/// without a body: a GET runs no mutation).
pub(super) fn idempotency_key(
    headers: &HeaderMap,
    body_hash: Option<String>,
    batch: &BatchRequest,
) -> Result<Option<IdempotencyKey>, Refusal> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .filter(|key| (1..=MAX_KEY_CHARS).contains(&key.len()))
        .ok_or(Refusal::BadIdempotencyKey)?;
    if matches!(batch, BatchRequest::Batch(_)) {
        return Err(Refusal::IdempotencyKeyOnBatch);
    }
    Ok(body_hash.map(|request_hash| IdempotencyKey {
        key: key.to_owned(),
        request_hash,
    }))
}

#[cfg(test)]
mod tests {
    use async_graphql::Request;
    use axum::http::HeaderValue;

    use super::*;

    fn with_key(key: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = HeaderValue::from_str(key).expect("a header value");
        headers.insert(IDEMPOTENCY_KEY, value);
        headers
    }

    #[test]
    fn a_key_of_1_to_255_visible_characters_on_a_single_request_is_taken() {
        let single = BatchRequest::Single(Request::new("mutation { a }"));
        let key = idempotency_key(&with_key("k-1"), Some(body_hash(b"{}")), &single);
        let key = key.expect("taken").expect("a key");
        assert_eq!(key.key, "k-1");
        assert_eq!(key.request_hash.len(), 64);
        for bad in [String::new(), "k".repeat(256), "naïve".to_owned()] {
            let mut headers = HeaderMap::new();
            headers.insert(
                IDEMPOTENCY_KEY,
                HeaderValue::from_bytes(bad.as_bytes()).expect("bytes"),
            );
            assert!(idempotency_key(&headers, None, &single).is_err(), "{bad:?}");
        }
        let batch = BatchRequest::Batch(vec![Request::new("mutation { a }")]);
        assert!(idempotency_key(&with_key("k"), None, &batch).is_err());
    }

    #[test]
    fn the_same_body_hashes_the_same_and_another_does_not() {
        assert_eq!(
            body_hash(b"{\"query\":\"x\"}"),
            body_hash(b"{\"query\":\"x\"}")
        );
        assert_ne!(
            body_hash(b"{\"query\":\"x\"}"),
            body_hash(b"{\"query\": \"x\"}")
        );
    }
}
