//! Parsed GraphQL documents, kept by their text. Dashboards send the same few queries over
//! and over, and parsing one costs more than answering it from the user cache, so each text
//! is parsed once. The cache is bounded by the bytes of text it holds; a document that does
//! not parse, or is longer than a query may be, is not kept (the schema reports the error).

use async_graphql::BatchRequest;
use async_graphql::parser::parse_query;
use async_graphql::parser::types::ExecutableDocument;
use moka::sync::Cache;

/// The most bytes of query text whose parsed documents are kept.
const CAPACITY_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Clone)]
pub(super) struct Documents {
    parsed: Cache<String, ExecutableDocument>,
    /// Longer texts are left to the schema, which refuses them unparsed.
    max_query_bytes: usize,
}

impl Documents {
    pub(super) fn new(max_query_bytes: usize) -> Self {
        Self {
            parsed: Cache::builder()
                .weigher(|text: &String, _| u32::try_from(text.len()).unwrap_or(u32::MAX))
                .max_capacity(CAPACITY_BYTES)
                .build(),
            max_query_bytes,
        }
    }

    /// Gives every request of `batch` its parsed document, from the cache when its text has
    /// been seen before.
    pub(super) fn attach(&self, batch: &mut BatchRequest) {
        for request in batch.iter_mut() {
            if request.query.is_empty() || request.query.len() > self.max_query_bytes {
                continue;
            }
            if let Some(document) = self.parsed.get(&request.query) {
                request.set_parsed_query(document);
            } else if let Ok(document) = parse_query(&request.query) {
                self.parsed.insert(request.query.clone(), document.clone());
                request.set_parsed_query(document);
            }
        }
    }
}
