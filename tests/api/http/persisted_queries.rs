//! Automatic persisted queries: a hash the server has not seen is
//! `PERSISTED_QUERY_NOT_FOUND`; sent once with its text, the hash alone then runs the query,
//! over `GET` as a CDN caches it; a text that is not its hash is refused.

use libtest_mimic::Trial;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::{TestApp, error_code, on_both_databases};

const QUERY: &str = "{ organizations(first: 5) { totalCount } }";

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// GETs the persisted query `hash`; the status, `Cache-Control` and body.
async fn get(app: &TestApp, hash: &str) -> (u16, String, Value) {
    let extensions = persisted(hash).to_string();
    let request = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("extensions", extensions.as_str())]);
    let response = app.send(request).await;
    let status = response.status().as_u16();
    let cache = response
        .headers()
        .get("cache-control")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, cache, response.json().await.expect("a JSON body"))
}

async fn a_hash_runs_its_query_once_the_text_was_sent_with_it(app: TestApp) {
    app.create_organization("acme", "Acme").await;
    let hash = sha256(QUERY);

    let (status, cache, body) = get(&app, &hash).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(error_code(&body), "PERSISTED_QUERY_NOT_FOUND", "{body}");
    assert_eq!(cache, "no-store");

    let register = json!({ "query": QUERY, "extensions": persisted(&hash) });
    let (status, body) = app.post(None, &[], register).await;
    assert_eq!(
        (status, &body["data"]["organizations"]["totalCount"]),
        (200, &json!(1)),
        "{body}"
    );

    let (status, cache, body) = get(&app, &hash).await;
    assert_eq!(
        (status, &body["data"]["organizations"]["totalCount"]),
        (200, &json!(1)),
        "{body}"
    );
    assert_eq!(cache, "public, max-age=5");

    let wrong = json!({ "query": QUERY, "extensions": persisted(&sha256("{ other }")) });
    let (status, body) = app.post(None, &[], wrong).await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "BAD_USER_INPUT"),
        "{body}"
    );
    let malformed = json!({ "extensions": persisted("abc") });
    let (status, body) = app.post(None, &[], malformed).await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "BAD_USER_INPUT"),
        "{body}"
    );
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(a_hash_runs_its_query_once_the_text_was_sent_with_it)
}
