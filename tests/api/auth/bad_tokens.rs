//! A bad, expired or wrongly signed token on HTTP is UNAUTHENTICATED, never taken for an
//! anonymous caller, and writes nothing.

use jsonwebtoken::Algorithm;
use libtest_mimic::Trial;
use serde_json::{Value, json};

use super::helpers::{
    admin_token_expiring_in, admin_token_of_another_secret, hmac_signed, signed, unix_now, unsigned,
};
use crate::support::{
    JWT_SECRET, TestApp, assert_no_errors, assert_no_internal_detail, error_code,
    mutation_document, on_both_databases, snapshot,
};

/// A query any caller, even an anonymous one, may run.
const PUBLIC_QUERY: &str = "{ organizations { totalCount } }";

/// POSTs `query` with `authorization` as the raw `Authorization` header (None: no header);
/// returns the status, the `WWW-Authenticate` header and the JSON body.
async fn post_with(
    app: &TestApp,
    authorization: Option<&str>,
    query: &str,
    variables: Value,
) -> (u16, Option<String>, Value) {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(value) = authorization {
        request = request.header(reqwest::header::AUTHORIZATION, value);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .map(|value| value.to_str().expect("ASCII").to_owned());
    (
        status,
        challenge,
        response.json().await.expect("a JSON body"),
    )
}

/// A query anonymous callers may run and a mutation, both sent with `authorization`: both
/// must be refused with UNAUTHENTICATED, with no data, and nothing written.
pub(super) async fn assert_refused_as_unauthenticated(app: &TestApp, authorization: &str) {
    let (status, challenge, anonymous) = post_with(app, None, PUBLIC_QUERY, json!({})).await;
    assert_eq!((status, challenge), (200, None), "{anonymous}");
    assert_no_errors(&anonymous);
    assert!(
        anonymous["data"]["organizations"]["totalCount"].is_number(),
        "{anonymous}"
    );

    let before = snapshot(app).await;
    let create = json!({ "input": { "slug": "globex", "name": "Globex" } });
    let requests = [
        ("organizations", PUBLIC_QUERY.to_owned(), json!({})),
        (
            "createOrganization",
            mutation_document("createOrganization"),
            create,
        ),
    ];
    for (field, query, variables) in requests {
        let (status, challenge, body) =
            post_with(app, Some(authorization), &query, variables).await;
        assert_eq!(status, 401, "{authorization:?} on {field}: {body}");
        let challenge = challenge.unwrap_or_default();
        assert!(
            challenge.starts_with("Bearer"),
            "{authorization:?} on {field}: WWW-Authenticate {challenge:?}"
        );
        assert_eq!(
            error_code(&body),
            "UNAUTHENTICATED",
            "{authorization:?} on {field}: {body}"
        );
        assert!(
            body["data"][field].is_null(),
            "{authorization:?} got data: {body}"
        );
        assert_no_internal_detail(&body["errors"][0]);
    }
    assert_eq!(
        snapshot(app).await,
        before,
        "{authorization:?} wrote something"
    );
}

async fn a_garbage_token_is_unauthenticated_never_anonymous(app: TestApp) {
    app.acme_with_ada().await;
    for garbage in ["Bearer garbage", "Bearer not.a.jwt", "Bearer "] {
        assert_refused_as_unauthenticated(&app, garbage).await;
    }
}

async fn an_expired_token_is_unauthenticated(app: TestApp) {
    app.acme_with_ada().await;
    // The same claims with a future `exp` are an admin's.
    let fresh = format!("Bearer {}", admin_token_expiring_in(3600));
    let (status, _, body) = post_with(
        &app,
        Some(&fresh),
        "{ userByEmail(email: \"ada@example.com\") { name } }",
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_no_errors(&body);
    assert_eq!(body["data"]["userByEmail"]["name"], "Ada Lovelace");

    // Beyond the leeway (5 s by default) for a clock a little behind.
    for expired_ago in [10, 60, 86_400] {
        assert_refused_as_unauthenticated(
            &app,
            &format!("Bearer {}", admin_token_expiring_in(-expired_ago)),
        )
        .await;
    }
}

async fn a_token_signed_with_another_secret_is_unauthenticated(app: TestApp) {
    app.acme_with_ada().await;
    assert_refused_as_unauthenticated(&app, &format!("Bearer {}", admin_token_of_another_secret()))
        .await;
}

async fn a_token_with_an_unknown_role_or_no_expiry_is_unauthenticated(app: TestApp) {
    app.acme_with_ada().await;
    let in_an_hour = unix_now() + 3600;
    for claims in [
        json!({ "sub": "test-user", "role": "root", "exp": in_an_hour }),
        json!({ "sub": "test-user", "role": "admin" }),
    ] {
        assert_refused_as_unauthenticated(&app, &format!("Bearer {}", signed(claims))).await;
    }
}

/// The algorithm is pinned to HS256: an unsigned token (`alg: none`) or one signed with the
/// right secret under another HMAC algorithm is refused.
async fn an_unsigned_token_or_one_of_another_algorithm_is_unauthenticated(app: TestApp) {
    app.acme_with_ada().await;
    let admin = json!({ "sub": "test-user", "role": "admin", "exp": unix_now() + 3600 });
    let mut tokens = unsigned(&admin);
    for algorithm in [Algorithm::HS384, Algorithm::HS512] {
        tokens.push(hmac_signed(algorithm, JWT_SECRET.as_bytes(), &admin));
    }
    for token in tokens {
        assert_refused_as_unauthenticated(&app, &format!("Bearer {token}")).await;
    }
}

async fn an_authorization_that_is_not_a_bearer_token_is_unauthenticated(app: TestApp) {
    app.acme_with_ada().await;
    let admin = app.admin.clone();
    for authorization in [
        "Basic dGVzdDp0ZXN0".to_owned(),
        format!("Token {admin}"),
        admin.clone(),
        "Bearer".to_owned(),
    ] {
        assert_refused_as_unauthenticated(&app, &authorization).await;
    }
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        a_garbage_token_is_unauthenticated_never_anonymous,
        an_expired_token_is_unauthenticated,
        a_token_signed_with_another_secret_is_unauthenticated,
        a_token_with_an_unknown_role_or_no_expiry_is_unauthenticated,
        an_unsigned_token_or_one_of_another_algorithm_is_unauthenticated,
        an_authorization_that_is_not_a_bearer_token_is_unauthenticated,
    )
}
