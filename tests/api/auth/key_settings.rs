//! Token settings the server cannot check tokens with are refused at start, by `serve` and
//! `token` alike: exit 2 and a message naming the setting. And `rosterql token` says why it
//! cannot sign when tokens come from an identity provider.

use libtest_mimic::Trial;

use super::provider::Provider;
use crate::support::{refused_at_start, refused_at_start_unsetting, without_database};

const SERVE: &[&str] = &["serve"];
const TOKEN: &[&str] = &["token", "--role", "admin"];
const SECRET: &str = "ROSTERQL_JWT_SECRET";
const KEY_FILE: &str = "ROSTERQL_JWT_PUBLIC_KEY_FILE";
const ALGORITHM: &str = "ROSTERQL_JWT_ALGORITHM";

/// `args` with `env` on top of the test configuration, without its secret: refused at
/// start; the message must hold each of `expected`.
fn assert_refused(args: &[&str], env: &[(&str, &str)], expected: &[&str]) {
    let stderr = refused_at_start_unsetting(args, env, &[SECRET]);
    for part in expected {
        assert!(
            stderr.contains(part),
            "{args:?} with {env:?}: {part:?} is not in {stderr}"
        );
    }
}

fn a_secret_and_a_public_key_together_are_refused_at_start() {
    let provider = Provider::new();
    let env = [(KEY_FILE, provider.rsa.public_file()), (ALGORITHM, "RS256")];
    for args in [SERVE, TOKEN] {
        // The test configuration's secret stays set.
        let stderr = refused_at_start(args, &env);
        assert!(
            stderr.contains(SECRET) && stderr.contains(KEY_FILE) && stderr.contains("both"),
            "{args:?}: {stderr}"
        );
    }
}

fn a_public_key_needs_an_asymmetric_algorithm_and_such_an_algorithm_a_public_key() {
    let provider = Provider::new();
    let key_file = provider.rsa.public_file();
    for env in [
        vec![(KEY_FILE, key_file)],
        vec![(KEY_FILE, key_file), (ALGORITHM, "HS256")],
    ] {
        assert_refused(SERVE, &env, &[KEY_FILE, ALGORITHM, "RS256 or ES256"]);
    }
    for algorithm in ["RS256", "es256"] {
        assert_refused(SERVE, &[(ALGORITHM, algorithm)], &[ALGORITHM, KEY_FILE]);
    }
}

fn a_public_key_file_that_cannot_be_read_or_does_not_fit_is_refused_at_start() {
    let provider = Provider::new();
    let missing = provider.file("missing.pem", b"");
    std::fs::remove_file(&missing).expect("the file goes");
    let garbage = provider.file("garbage.pem", b"not a key at all");
    let private = provider.file("private.pem", provider.rsa.private_pem());
    let cases = [
        (missing.as_str(), "RS256", "cannot be read"),
        (garbage.as_str(), "RS256", "not a PEM file"),
        (private.as_str(), "RS256", "not a public key"),
        (provider.ec.public_file(), "RS256", "not an RSA public key"),
        (
            provider.rsa.public_file(),
            "ES256",
            "not a P-256 EC public key",
        ),
        (
            provider.p384.public_file(),
            "ES256",
            "not a P-256 EC public key",
        ),
    ];
    for (file, algorithm, reason) in cases {
        for args in [SERVE, TOKEN] {
            assert_refused(
                args,
                &[(KEY_FILE, file), (ALGORITHM, algorithm)],
                &[KEY_FILE, file, reason],
            );
        }
    }
    let private_text = String::from_utf8_lossy(provider.rsa.private_pem()).into_owned();
    let stderr = refused_at_start_unsetting(
        SERVE,
        &[(KEY_FILE, private.as_str()), (ALGORITHM, "RS256")],
        &[SECRET],
    );
    let key_body = private_text.lines().nth(1).expect("a PEM body");
    assert!(!stderr.contains(key_body), "the key was logged: {stderr}");
}

fn an_empty_issuer_or_audience_or_an_odd_leeway_is_refused_at_start() {
    let refused = [
        ("ROSTERQL_JWT_ISSUER", "", "set but empty"),
        ("ROSTERQL_JWT_AUDIENCE", "", "set but empty"),
        ("ROSTERQL_JWT_LEEWAY", "10m", "it must be from"),
        ("ROSTERQL_JWT_LEEWAY", "1500ms", "whole seconds"),
    ];
    for (variable, value, reason) in refused {
        let stderr = refused_at_start(SERVE, &[(variable, value)]);
        assert!(
            stderr.contains(variable) && stderr.contains(reason),
            "{variable}={value:?}: {stderr}"
        );
    }
}

fn rosterql_token_cannot_sign_with_a_public_key() {
    let provider = Provider::new();
    assert_refused(
        TOKEN,
        &[(KEY_FILE, provider.ec.public_file()), (ALGORITHM, "ES256")],
        &[KEY_FILE, "cannot sign"],
    );
}

pub(super) fn trials() -> Vec<Trial> {
    without_database!(
        a_secret_and_a_public_key_together_are_refused_at_start,
        a_public_key_needs_an_asymmetric_algorithm_and_such_an_algorithm_a_public_key,
        a_public_key_file_that_cannot_be_read_or_does_not_fit_is_refused_at_start,
        an_empty_issuer_or_audience_or_an_odd_leeway_is_refused_at_start,
        rosterql_token_cannot_sign_with_a_public_key,
    )
}
