//! Tokens of every kind, signed like the test app's or not, and what the auth tests read.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rosterql::auth::{Role, TokenKeys, TokenRules};
use serde_json::{Value, json};

use crate::support::JWT_SECRET;

pub(super) fn unix_now() -> i64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970");
    i64::try_from(since_epoch.as_secs()).expect("a time in range")
}

/// A JWT (HS256) over any `claims`, signed with the test app's secret.
pub(super) fn signed(claims: Value) -> String {
    hmac_signed(Algorithm::HS256, JWT_SECRET.as_bytes(), &claims)
}

/// A JWT over `claims` signed with `algorithm` (an HMAC one) and `secret`: with a public
/// key's bytes as the secret, the algorithm-confusion attack.
pub(super) fn hmac_signed(algorithm: Algorithm, secret: &[u8], claims: &Value) -> String {
    let key = EncodingKey::from_secret(secret);
    jsonwebtoken::encode(&Header::new(algorithm), claims, &key).expect("HMAC signs")
}

/// Unsigned JWTs (`alg: none`) over `claims`, with and without the trailing dot.
pub(super) fn unsigned(claims: &Value) -> Vec<String> {
    let encode = |json: &str| URL_SAFE_NO_PAD.encode(json);
    let header = encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = encode(&claims.to_string());
    vec![
        format!("{header}.{payload}."),
        format!("{header}.{payload}"),
    ]
}

/// An admin token, signed with the right secret, that expires `expires_in` seconds from now.
pub(super) fn admin_token_expiring_in(expires_in: i64) -> String {
    signed(json!({ "sub": "test-user", "role": "admin", "exp": unix_now() + expires_in }))
}

pub(super) fn admin_token_of_another_secret() -> String {
    TokenKeys::new(b"another-secret", &TokenRules::default())
        .issue("test-user", Role::Admin, Duration::from_secs(3600))
        .expect("the token signs")
}

/// Every `Authorization` value the contract refuses, with what is wrong with it.
pub(super) fn bad_authorizations() -> Vec<(&'static str, String)> {
    vec![
        ("a garbage token", "Bearer garbage".to_owned()),
        (
            "an expired token",
            format!("Bearer {}", admin_token_expiring_in(-60)),
        ),
        (
            "a token of another secret",
            format!("Bearer {}", admin_token_of_another_secret()),
        ),
        (
            "a token with an unknown role",
            format!(
                "Bearer {}",
                signed(json!({ "sub": "test-user", "role": "root", "exp": unix_now() + 3600 }))
            ),
        ),
        ("a Basic authorization", "Basic dGVzdDp0ZXN0".to_owned()),
    ]
}

/// The `path`s of `body`'s errors, which must all be FORBIDDEN, in a stable order.
pub(super) fn forbidden_paths(body: &Value) -> Vec<Value> {
    let errors = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {body}"));
    let mut paths: Vec<Value> = errors
        .iter()
        .map(|error| {
            assert_eq!(error["extensions"]["code"], "FORBIDDEN", "{error}");
            error["path"].clone()
        })
        .collect();
    paths.sort_by_key(Value::to_string);
    paths
}
