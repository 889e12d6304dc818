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

fn zero_or_absurd_sizes_and_intervals_are_refused_at_start() {
    let refused = [
        ("ROSTERQL_CHANGE_BUFFER", "0"),
        ("ROSTERQL_CHANGE_BUFFER", "1000000000"),
        ("ROSTERQL_PROJECTOR_POLL", "0s"),
        ("ROSTERQL_PROJECTOR_POLL", "1ms"),
        ("ROSTERQL_PROJECTOR_POLL", "30days"),
        ("ROSTERQL_CONSISTENCY_TIMEOUT", "0s"),
        ("ROSTERQL_CONSISTENCY_TIMEOUT", "1day"),
        ("ROSTERQL_CACHE_CAPACITY", "0"),
        ("ROSTERQL_CACHE_CAPACITY", "18446744073709551615"),
        ("ROSTERQL_LEADER_RETRY", "0s"),
        ("ROSTERQL_LEADER_RETRY", "1year"),
        ("ROSTERQL_MAX_PROJECTION_LAG", "0s"),
        ("ROSTERQL_MAX_PROJECTION_LAG", "1year"),
        ("ROSTERQL_SHUTDOWN_DELAY", "1year"),
        ("ROSTERQL_PUBLIC_MAX_AGE", "1day"),
        ("ROSTERQL_SHUTDOWN_TIMEOUT", "0s"),
        ("ROSTERQL_SHUTDOWN_TIMEOUT", "1year"),
        ("ROSTERQL_DATABASE_TIMEOUT", "0s"),
        ("ROSTERQL_DATABASE_TIMEOUT", "1year"),
        ("ROSTERQL_MAX_WRITE_AHEAD", "0"),
        ("ROSTERQL_MAX_WRITE_AHEAD", "10000001"),
        ("ROSTERQL_WS_INIT_TIMEOUT", "0s"),
        ("ROSTERQL_WS_INIT_TIMEOUT", "1day"),
        ("ROSTERQL_WS_PING_INTERVAL", "0s"),
        ("ROSTERQL_WS_PING_INTERVAL", "1day"),
        ("ROSTERQL_WS_MAX_SUBSCRIPTIONS", "0"),
        ("ROSTERQL_WS_MAX_SUBSCRIPTIONS", "10001"),
        ("ROSTERQL_WS_MAX_CONNECTIONS_PER_CALLER", "0"),
        ("ROSTERQL_WS_MAX_CONNECTIONS_PER_CALLER", "100001"),
        ("ROSTERQL_WS_SEND_QUEUE", "0"),
        ("ROSTERQL_WS_SEND_QUEUE", "65537"),
        ("ROSTERQL_WS_SEND_TIMEOUT", "0s"),
        ("ROSTERQL_WS_SEND_TIMEOUT", "1day"),
        ("ROSTERQL_MAX_BATCH", "0"),
        ("ROSTERQL_MAX_BATCH", "11"),
        ("ROSTERQL_MAX_BODY_BYTES", "1023"),
        ("ROSTERQL_MAX_BODY_BYTES", "67108865"),
        ("ROSTERQL_MAX_QUERY_BYTES", "0"),
        ("ROSTERQL_MAX_QUERY_BYTES", "1048577"),
        ("ROSTERQL_MAX_DEPTH", "0"),
        ("ROSTERQL_MAX_DEPTH", "1001"),
        ("ROSTERQL_MAX_COMPLEXITY", "0"),
        ("ROSTERQL_MAX_COMPLEXITY", "10000001"),
        ("ROSTERQL_MAX_ALIASES", "0"),
        ("ROSTERQL_MAX_ALIASES", "10001"),
        ("ROSTERQL_MAX_ROOT_FIELDS", "0"),
        ("ROSTERQL_MAX_ROOT_FIELDS", "10001"),
        ("ROSTERQL_MAX_DIRECTIVES", "0"),
        ("ROSTERQL_MAX_DIRECTIVES", "10001"),
        ("ROSTERQL_EXECUTION_TIMEOUT", "0s"),
        ("ROSTERQL_EXECUTION_TIMEOUT", "1day"),
        ("ROSTERQL_STATEMENT_TIMEOUT", "0s"),
        ("ROSTERQL_STATEMENT_TIMEOUT", "1day"),
    ];
    for (variable, value) in refused {
        let stderr = refused_at_start(SERVE, &[(variable, value)]);
        assert!(
            stderr.contains(variable) && stderr.contains("it must be from"),
            "{variable}={value}: {stderr}"
        );
    }
}

pub(super) fn trials() -> Vec<Trial> {
    without_database!(
        an_empty_or_short_jwt_secret_is_refused_at_start,
        zero_or_absurd_sizes_and_intervals_are_refused_at_start,
    )
}
