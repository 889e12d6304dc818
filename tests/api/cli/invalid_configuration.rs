//! A configuration the server cannot run with is refused at start, by `serve` and every other
//! subcommand alike: exit 2 and a message naming the setting, before anything is served or
//! signed.

use libtest_mimic::Trial;

use crate::support::{refused_at_start, without_database};

const SERVE: &[&str] = &["serve"];
const TOKEN: &[&str] = &["token", "--role", "admin"];

fn an_empty_or_short_jwt_secret_is_refused_at_start() {
    let short = "s".repeat(31);
    for secret in ["", short.as_str()] {
        for args in [SERVE, TOKEN] {
            let stderr = refused_at_start(args, &[("ROSTERQL_JWT_SECRET", secret)]);
            assert!(
                stderr.contains("ROSTERQL_JWT_SECRET") && stderr.contains("at least 32 bytes"),
                "{args:?} with a secret of {} bytes: {stderr}",
                secret.len()
            );
            if !secret.is_empty() {
                assert!(!stderr.contains(secret), "the secret was logged: {stderr}");
            }
        }
    }
}

pub(super) fn trials() -> Vec<Trial> {
    without_database!(an_empty_or_short_jwt_secret_is_refused_at_start,)
}
