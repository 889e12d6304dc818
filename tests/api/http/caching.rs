//! `Cache-Control` on GraphQL answers: an anonymous query that ran cleanly may be kept by a
//! CDN for `ROSTERQL_PUBLIC_MAX_AGE` (over GET, the way a CDN caches); an answer to a token
//! is private; an error, a mutation, or a read behind a consistency token is kept by nobody.

use libtest_mimic::Trial;
use serde_json::json;

use crate::support::{TestApp, TestDatabase, on_both_databases};

const ORGANIZATIONS: &str = "{ organizations(first: 1) { totalCount } }";

/// GETs `query` with `token` and `headers`; returns the status and `Cache-Control`, `Vary`.
async fn caching(
    app: &TestApp,
    query: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> (u16, String, String) {
    let mut request = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", query)]);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app.send(request).await;
    let header = |name: &str| {
        let value = response.headers().get(name);
        value
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let (cache, vary) = (header("cache-control"), header("vary"));
    (response.status().as_u16(), cache, vary)
}

async fn anonymous_clean_queries_are_public_and_the_rest_is_not(app: TestApp) {
    app.create_organization("acme", "Acme").await;
    let token = app.read_position().await;

    let (status, cache, vary) = caching(&app, ORGANIZATIONS, None, &[]).await;
    assert_eq!((status, cache.as_str()), (200, "public, max-age=5"));
    assert!(
        vary.contains("Authorization") && vary.contains("X-Consistency-Token"),
        "{vary}"
    );

    let admin = Some(app.admin.as_str());
    let (_, cache, _) = caching(&app, ORGANIZATIONS, admin, &[]).await;
    assert_eq!(cache, "private, no-store", "an answer to a token");
    let consistent = [("X-Consistency-Token", token.as_str())];
    let (_, cache, _) = caching(&app, ORGANIZATIONS, None, &consistent).await;
    assert_eq!(cache, "no-store", "a read that must reflect a write");
    let bad = r#"{ user(id: "not-an-id") { name } }"#;
    let (_, cache, _) = caching(&app, bad, None, &[]).await;
    assert_eq!(cache, "no-store", "an error");

    let create = "mutation { createOrganization(input: {slug: \"b\", name: \"B\"}) { version } }";
    let request = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": create }));
    let response = app.send(request).await;
    let cache = response.headers().get("cache-control").cloned();
    assert_eq!(
        cache.as_ref().map(|value| value.as_bytes()),
        Some(&b"no-store"[..])
    );
}

async fn a_public_max_age_of_zero_keeps_nothing(database: TestDatabase) {
    let app = TestApp::spawn_on(database, |config| {
        config.public_max_age = std::time::Duration::ZERO.into();
    })
    .await;
    let (status, cache, _) = caching(&app, ORGANIZATIONS, None, &[]).await;
    assert_eq!((status, cache.as_str()), (200, "no-store"));
}

pub(super) fn trials() -> Vec<Trial> {
    [
        on_both_databases!(anonymous_clean_queries_are_public_and_the_rest_is_not),
        on_both_databases!(a_public_max_age_of_zero_keeps_nothing),
    ]
    .into_iter()
    .flatten()
    .collect()
}
