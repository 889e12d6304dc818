//! Introspection and field suggestions: on by default (GraphiQL needs them), off with
//! `ROSTERQL_INTROSPECTION=false` for production, where the schema is not handed to clients
//! and errors name no field they did not ask for. `rosterql schema` prints the whole SDL
//! either way.
//!
//! On SQLite only: what a request may introspect does not depend on the database.

use libtest_mimic::Trial;
use serde_json::json;

use crate::support::{
    Backend, TestApp, TestDatabase, assert_no_errors, error_code, without_database,
};

const SCHEMA: &str = "{ __schema { queryType { name } types { name } } }";
const TYPE: &str = "{ __type(name: \"User\") { name fields { name } } }";
/// A query with a typo a suggestion would correct (`organizations`).
const TYPO: &str = "{ organisations { totalCount } }";

async fn introspection_and_suggestions_are_on_by_default(app: TestApp) {
    let body = app.gql_as(None, SCHEMA, json!({})).await;
    assert_no_errors(&body);
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
    let body = app.gql_as(None, TYPE, json!({})).await;
    assert_no_errors(&body);
    assert_eq!(body["data"]["__type"]["name"], "User");

    let body = app.gql_as(None, TYPO, json!({})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    let message = body["errors"][0]["message"].as_str().expect("a message");
    assert!(message.contains("Did you mean"), "{message}");
}

async fn with_introspection_off_the_schema_is_neither_served_nor_suggested(database: TestDatabase) {
    let app = TestApp::spawn_process(database, &[("ROSTERQL_INTROSPECTION", "false")]).await;
    for token in [None, Some(app.admin.as_str())] {
        for query in [SCHEMA, TYPE] {
            let body = app.gql_as(token, query, json!({})).await;
            assert_eq!(error_code(&body), "BAD_USER_INPUT", "{query}: {body}");
            assert!(body["data"].is_null(), "{query}: {body}");
        }
        let body = app.gql_as(token, TYPO, json!({})).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        let message = body["errors"][0]["message"].as_str().expect("a message");
        assert!(
            !message.contains("Did you mean") && !message.contains("organizations"),
            "{message}"
        );
    }
    // Everything else is served as before, `__typename` included.
    let body = app
        .gql_as(
            None,
            "{ __typename organizations { totalCount } }",
            json!({}),
        )
        .await;
    assert_no_errors(&body);
    assert_eq!(body["data"]["__typename"], "Query");
}

fn rosterql_schema_prints_the_whole_sdl_with_introspection_off() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_rosterql"))
        .arg("schema")
        .env("ROSTERQL_INTROSPECTION", "false")
        .env("DATABASE_URL", "sqlite::memory:")
        .env_remove("ROSTERQL_JWT_SECRET")
        .env_remove("ROSTERQL_JWT_PUBLIC_KEY_FILE")
        .env_remove("ROSTERQL_JWT_ALGORITHM")
        .output()
        .expect("the binary runs");
    assert!(output.status.success(), "{output:?}");
    let printed = String::from_utf8(output.stdout).expect("UTF-8");
    assert_eq!(printed, rosterql::graphql::sdl());
    assert!(printed.contains("type Query"), "{printed}");
}

pub(super) fn trials() -> Vec<Trial> {
    let mut trials = crate::support::harness::on_backends!(
        [Backend::Sqlite];
        introspection_and_suggestions_are_on_by_default,
        with_introspection_off_the_schema_is_neither_served_nor_suggested,
    );
    trials.extend(without_database!(
        rosterql_schema_prints_the_whole_sdl_with_introspection_off
    ));
    trials
}
