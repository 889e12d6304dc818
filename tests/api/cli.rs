//! The `rosterql` binary's subcommands, run as a user would run them.

use std::process::{Command, Output};

use libtest_mimic::Trial;
use serde_json::json;

use crate::support::{
    JWT_SECRET, TestApp, TestDatabase, assert_no_errors, keys, on_both_databases, test_config,
    without_database,
};

/// Runs `rosterql args…` against `database_url`, with nothing inherited from the
/// environment that could change its configuration.
fn rosterql(database_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rosterql"))
        .args(args)
        .env_remove("READ_DATABASE_URL")
        .env_remove("ROSTERQL_JWT_SECRET")
        .env("DATABASE_URL", database_url)
        .output()
        .expect("the binary runs")
}

fn succeeded(output: &Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

fn schema_prints_the_committed_sdl() {
    let printed = succeeded(&rosterql("sqlite::memory:", &["schema"]));
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql");
    assert_eq!(printed, committed);
}

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

async fn seeded_data_is_projected_and_rebuilds_identically(database: TestDatabase) {
    succeeded(&rosterql(&database.url, &["migrate"]));
    succeeded(&rosterql(
        &database.url,
        &["seed", "--organizations", "3", "--users", "12"],
    ));

    let query = "{ organizations { totalCount nodes { slug memberCount activeMemberCount } }
                   users(first: 100, orderBy: CREATED_AT_ASC) { totalCount nodes { id name version organization { slug } } } }";
    let app = TestApp::start(&test_config(&database)).await;
    app.settle().await;
    let seeded = app.gql(query, json!({})).await;
    assert_no_errors(&seeded);
    assert_eq!(seeded["data"]["organizations"]["totalCount"], 3);
    assert_eq!(seeded["data"]["users"]["totalCount"], 12);
    for organization in seeded["data"]["organizations"]["nodes"]
        .as_array()
        .expect("nodes")
    {
        assert_eq!(organization["memberCount"], 4, "{organization}");
    }
    app.stop().await;

    let rebuilt_output = succeeded(&rosterql(&database.url, &["rebuild-projections"]));
    assert!(rebuilt_output.is_empty(), "logs go to stderr, not stdout");
    let app = TestApp::start(&test_config(&database)).await;
    let rebuilt = app.gql(query, json!({})).await;
    assert_eq!(
        rebuilt, seeded,
        "a rebuild from the event log gives the same read side"
    );
    app.stop().await;
}

pub(crate) fn trials() -> Vec<Trial> {
    let mut trials = without_database!(
        schema_prints_the_committed_sdl,
        token_prints_a_token_signed_with_the_configured_secret,
        token_without_a_secret_refuses_and_says_why,
    );
    trials.extend(on_both_databases!(
        seeded_data_is_projected_and_rebuilds_identically
    ));
    trials
}
