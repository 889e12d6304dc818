//! `rosterql serve` as a new user runs it: with no secret configured, it signs with a random
//! one and logs the only admin token there is (and GraphiQL, reachable from this machine
//! only, opens with it in its headers), in plain text when the log is no terminal; as an
//! operator runs it: a JSON log on request, and a first line that says what it runs on,
//! without the database's password.

use libtest_mimic::Trial;
use serde_json::{Value, json};

use crate::support::{Backend, TestApp, TestDatabase, on_both_databases, text};

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

    // GraphiQL opens on the starter document with this token in its headers.
    let page = app.get("/").await.text().await.expect("the page");
    assert!(page.contains(&format!("Bearer {logged}")), "{page}");
    assert!(page.contains("mutation CreateOrganization"), "{page}");

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

/// With a secret configured (production), no token is made, and the page carries none.
async fn with_a_secret_graphiql_opens_on_the_starter_document_without_a_token(app: TestApp) {
    let page = app.get("/").await.text().await.expect("the page");
    assert!(page.contains("query Organizations"), "{page}");
    assert!(page.contains("subscription OrganizationChanges"), "{page}");
    assert!(page.contains(r#""headers":null"#), "{page}");
}

async fn a_json_log_is_one_object_per_line_and_names_no_password(database: TestDatabase) {
    let backend = database.backend();
    let url = match backend {
        // Trust authentication takes any password: the log must still not show it.
        Backend::Postgres => database.url.replacen("postgres@", "postgres:hunter2@", 1),
        Backend::Sqlite => database.url.clone(),
    };
    let app = TestApp::spawn_process(
        database,
        &[("ROSTERQL_LOG_FORMAT", "json"), ("DATABASE_URL", &url)],
    )
    .await;
    let log = app.log();
    let lines: Vec<Value> = log
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    assert!(
        lines.iter().all(|line| line["level"].is_string()),
        "{log:#?}"
    );
    let started = lines
        .iter()
        .find(|line| text(&line["fields"]["message"]).starts_with("rosterql started"))
        .unwrap_or_else(|| panic!("no start line: {log:#?}"));
    let fields = &started["fields"];
    assert_eq!(fields["version"], env!("CARGO_PKG_VERSION"), "{started}");
    assert!(
        fields["bind"].is_string() && fields["instance"].is_string(),
        "{started}"
    );
    assert!(
        text(&fields["command_database"]).contains(match backend {
            Backend::Postgres => "postgres:***@",
            Backend::Sqlite => "sqlite:",
        }),
        "{started}"
    );
    assert!(
        !log.join("\n").contains("hunter2"),
        "the password is logged: {log:#?}"
    );
}

pub(super) fn trials() -> Vec<Trial> {
    [
        on_both_databases!(without_a_secret_the_logged_admin_token_is_the_only_one_that_works),
        on_both_databases!(with_a_secret_graphiql_opens_on_the_starter_document_without_a_token),
        on_both_databases!(a_json_log_is_one_object_per_line_and_names_no_password),
    ]
    .into_iter()
    .flatten()
    .collect()
}
