//! `rosterql token` prints a token signed with the configured secret, and refuses without
//! one.

use libtest_mimic::Trial;

use super::{rosterql, succeeded};
use crate::support::{JWT_SECRET, keys, without_database};

fn token_prints_a_token_signed_with_the_configured_secret() {
    let printed = succeeded(&rosterql(
        "sqlite::memory:",
        &[
            "token",
            "--role",
            "viewer",
            "--ttl",
            "10m",
            "--jwt-secret",
            JWT_SECRET,
        ],
    ));
    let claims = keys()
        .verify(printed.trim())
        .expect("the token verifies with the secret");
    assert_eq!(claims.role, rosterql::auth::Role::Viewer);
    let remaining = claims.exp - chrono::Utc::now().timestamp();
    assert!(
        (590..=600).contains(&remaining),
        "ttl 10m gave {remaining}s"
    );
}

fn token_without_a_secret_refuses_and_says_why() {
    let output = rosterql("sqlite::memory:", &["token", "--role", "admin"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("ROSTERQL_JWT_SECRET"));
}

pub(super) fn trials() -> Vec<Trial> {
    without_database!(
        token_prints_a_token_signed_with_the_configured_secret,
        token_without_a_secret_refuses_and_says_why,
    )
}
