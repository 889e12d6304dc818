//! Tokens from an identity provider, checked with its public key (RS256 or ES256): its own
//! tokens are taken with the roles they carry; a token of any other key or algorithm is
//! UNAUTHENTICATED, `alg: none` and an HS256 token "signed" with the public key included.
//! And the rules every token is held to: `exp` with a small leeway, and `iss` / `aud` when
//! configured.
//!
//! On SQLite only: a token is checked before any database is touched.

use std::path::PathBuf;

use jsonwebtoken::Algorithm;
use libtest_mimic::Trial;
use rosterql::auth::TokenAlgorithm;
use rosterql::config::Config;
use serde_json::{Value, json};

use super::bad_tokens::assert_refused_as_unauthenticated;
use super::helpers::{hmac_signed, signed, unix_now, unsigned};
use super::provider::{KeyPair, Provider};
use crate::support::{Backend, JWT_SECRET, TestApp, TestDatabase, assert_no_errors, error_code};

/// A query only admins may run: an admin gets no error, a viewer FORBIDDEN.
const ADMIN_QUERY: &str = "{ userByEmail(email: \"nobody@example.com\") { name } }";

fn claims(role: &str, expires_in: i64) -> Value {
    json!({ "sub": "idp-user", "role": role, "exp": unix_now() + expires_in })
}

/// `claims` without `exp`.
fn claims_without_expiry(role: &str) -> Value {
    json!({ "sub": "idp-user", "role": role })
}

/// A server that checks tokens with `key`'s public key under `algorithm`; its admin and
/// viewer are `key`'s tokens.
async fn serve_for(database: TestDatabase, algorithm: TokenAlgorithm, key: &KeyPair) -> TestApp {
    let public_file = PathBuf::from(key.public_file());
    let mut app = TestApp::spawn_on(database, |config: &mut Config| {
        config.jwt_secret = None;
        config.jwt_public_key_file = Some(public_file);
        config.jwt_algorithm = Some(algorithm);
    })
    .await;
    app.admin = key.sign(&claims("admin", 3600));
    app.viewer = key.sign(&claims("viewer", 3600));
    app
}

/// What `token` may do: `Ok(())` as an admin, else the code of its refusal.
async fn admin_check(app: &TestApp, token: &str) -> Result<(), String> {
    let body = app.gql_as(Some(token), ADMIN_QUERY, json!({})).await;
    match body.get("errors") {
        None => Ok(()),
        Some(_) => Err(error_code(&body).to_owned()),
    }
}

/// The provider's own admin and viewer tokens are taken with their roles, and can write.
async fn assert_the_providers_tokens_are_taken(app: &TestApp) {
    assert_eq!(admin_check(app, &app.admin).await, Ok(()));
    assert_eq!(
        admin_check(app, &app.viewer).await,
        Err("FORBIDDEN".to_owned())
    );
    app.create_organization("acme", "Acme").await;
}

async fn rs256_tokens_of_the_configured_key_are_taken_and_no_other_kind(database: TestDatabase) {
    let provider = Provider::new();
    let app = serve_for(database, TokenAlgorithm::Rs256, &provider.rsa).await;
    assert_the_providers_tokens_are_taken(&app).await;

    let admin = claims("admin", 3600);
    let mut refused = vec![
        hmac_signed(Algorithm::HS256, &provider.rsa.public_pem, &admin),
        signed(admin.clone()),
        provider.other_rsa.sign(&admin),
        provider.rsa.sign_as(Algorithm::PS256, &admin),
        provider.rsa.sign_as(Algorithm::RS512, &admin),
        provider.ec.sign(&admin),
        provider.rsa.sign(&claims_without_expiry("admin")),
        provider.rsa.sign(&claims("admin", -60)),
    ];
    refused.extend(unsigned(&admin));
    for token in refused {
        assert_refused_as_unauthenticated(&app, &format!("Bearer {token}")).await;
    }
}

async fn es256_tokens_of_the_configured_key_are_taken_and_no_other_kind(database: TestDatabase) {
    let provider = Provider::new();
    let app = serve_for(database, TokenAlgorithm::Es256, &provider.ec).await;
    assert_the_providers_tokens_are_taken(&app).await;

    let admin = claims("admin", 3600);
    let mut refused = vec![
        hmac_signed(Algorithm::HS256, &provider.ec.public_pem, &admin),
        signed(admin.clone()),
        provider.rsa.sign(&admin),
        provider.ec.sign(&claims_without_expiry("admin")),
        provider.ec.sign(&claims("admin", -60)),
    ];
    refused.extend(unsigned(&admin));
    for token in refused {
        assert_refused_as_unauthenticated(&app, &format!("Bearer {token}")).await;
    }
}

/// The default leeway (5 s) forgives a clock a little behind, and no more.
async fn a_token_just_expired_is_taken_within_the_leeway_only(app: TestApp) {
    let just_expired = signed(claims("admin", -2));
    assert_eq!(admin_check(&app, &just_expired).await, Ok(()));
    for expired_ago in [10, 60] {
        let expired = signed(claims("admin", -expired_ago));
        assert_eq!(
            admin_check(&app, &expired).await,
            Err("UNAUTHENTICATED".to_owned()),
            "expired {expired_ago} s ago"
        );
    }
}

async fn the_issuer_and_audience_are_checked_when_configured(database: TestDatabase) {
    let issuer = "https://idp.example";
    let app = TestApp::spawn_on(database, |config: &mut Config| {
        config.jwt_issuer = Some(issuer.to_owned());
        config.jwt_audience = Some("rosterql".to_owned());
    })
    .await;
    let with = |extra: Value| {
        let mut claims = claims("admin", 3600);
        let entries = claims.as_object_mut().expect("an object");
        entries.extend(extra.as_object().expect("an object").clone());
        signed(claims)
    };
    for taken in [
        json!({ "iss": issuer, "aud": "rosterql" }),
        json!({ "iss": issuer, "aud": ["dashboards", "rosterql"] }),
    ] {
        assert_eq!(
            admin_check(&app, &with(taken.clone())).await,
            Ok(()),
            "{taken}"
        );
    }
    for refused in [
        json!({ "iss": "https://evil.example", "aud": "rosterql" }),
        json!({ "aud": "rosterql" }),
        json!({ "iss": issuer, "aud": "dashboards" }),
        json!({ "iss": issuer }),
    ] {
        assert_eq!(
            admin_check(&app, &with(refused.clone())).await,
            Err("UNAUTHENTICATED".to_owned()),
            "{refused}"
        );
    }

    // `rosterql token` signs for the configured issuer and audience.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_rosterql"))
        .args(["token", "--role", "admin"])
        .env("ROSTERQL_JWT_SECRET", JWT_SECRET)
        .env("ROSTERQL_JWT_ISSUER", issuer)
        .env("ROSTERQL_JWT_AUDIENCE", "rosterql")
        .env_remove("ROSTERQL_JWT_PUBLIC_KEY_FILE")
        .env_remove("ROSTERQL_JWT_ALGORITHM")
        .env("DATABASE_URL", "sqlite::memory:")
        .output()
        .expect("the binary runs");
    assert!(output.status.success(), "{output:?}");
    let token = String::from_utf8(output.stdout).expect("UTF-8");
    assert_eq!(admin_check(&app, token.trim()).await, Ok(()));
}

/// The provider's token works on a server that checks with its key, and nowhere else: a
/// server with a secret refuses it.
async fn a_providers_token_is_refused_by_a_server_with_a_secret(app: TestApp) {
    let provider = Provider::new();
    let body = app
        .gql_as(
            Some(&provider.rsa.sign(&claims("admin", 3600))),
            ADMIN_QUERY,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
    let body = app.gql(ADMIN_QUERY, json!({})).await;
    assert_no_errors(&body);
}

pub(super) fn trials() -> Vec<Trial> {
    crate::support::harness::on_backends!(
        [Backend::Sqlite];
        rs256_tokens_of_the_configured_key_are_taken_and_no_other_kind,
        es256_tokens_of_the_configured_key_are_taken_and_no_other_kind,
        a_token_just_expired_is_taken_within_the_leeway_only,
        the_issuer_and_audience_are_checked_when_configured,
        a_providers_token_is_refused_by_a_server_with_a_secret,
    )
}
