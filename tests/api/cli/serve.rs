//! `rosterql serve` as a new user runs it: with no secret configured, it signs with a random
//! one and logs the only admin token there is, in plain text when the log is no terminal.

use libtest_mimic::Trial;
use serde_json::json;

use crate::support::{TestApp, TestDatabase, on_both_databases};

const CREATE: &str =
    "mutation { createOrganization(input: {slug: \"acme\", name: \"Acme\"}) { version } }";

async fn without_a_secret_the_logged_admin_token_is_the_only_one_that_works(
    database: TestDatabase,
) {
    let app = TestApp::spawn_process(database, &[("ROSTERQL_JWT_SECRET", "")]).await;
    let log = app.log();
    let logged = log
        .iter()
        .find_map(|line| line.split("admin token (valid 24h): ").nth(1))
        .unwrap_or_else(|| panic!("no admin token in the log: {log:#?}"))
        .trim()
        .to_owned();
    assert!(
        log.iter()
            .any(|line| line.contains("ROSTERQL_JWT_SECRET is not set")),
        "the log says why: {log:#?}"
    );
    // Not a terminal: no colour escapes in the lines.
    assert!(
        log.iter().all(|line| !line.contains('\u{1b}')),
        "colour escapes in a log that is not a terminal: {log:#?}"
    );

    let body = app.gql_as(Some(&logged), CREATE, json!({})).await;
    assert_eq!(body["data"]["createOrganization"]["version"], 1, "{body}");
    let ok = [("command", "createOrganization"), ("outcome", "OK")];
    assert_eq!(app.counter("rosterql_commands_total", &ok).await, 1.0);

    // A token signed with any other secret (here the tests' usual one) is refused.
    let (status, body) = app
        .post(Some(&app.admin), &[], json!({ "query": CREATE }))
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(without_a_secret_the_logged_admin_token_is_the_only_one_that_works)
}
