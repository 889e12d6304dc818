//! The binary configured through the environment alone: `rosterql migrate` on split
//! databases puts each side's tables in its own database, and a server process shows the
//! effect of `READ_DATABASE_URL`, `ROSTERQL_CONSISTENCY_TIMEOUT` and
//! `ROSTERQL_CHANGE_BUFFER`.

use std::process::Command;
use std::time::{Duration, Instant};

use libtest_mimic::Trial;
use rosterql::command::{CommandContext, RenameUser, Target};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};

use super::succeeded;
use crate::support::hold::HoldableApp;
use crate::support::{
    Backend, TestApp, TestDatabase, WsClient, assert_no_errors, error_code, on_both_databases,
    text, user_changed,
};

const COMMAND_TABLES: [&str; 3] = ["organizations", "users", "events"];
const READ_TABLES: [&str; 3] = [
    "user_profiles",
    "organization_profiles",
    "projector_checkpoints",
];

/// The names of the tables in `url`'s database.
async fn tables(backend: Backend, url: &str) -> Vec<String> {
    let connection: DatabaseConnection = Database::connect(url).await.expect("the database opens");
    let sql = match backend {
        Backend::Sqlite => "SELECT name AS name FROM sqlite_master WHERE type = 'table'",
        Backend::Postgres => {
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = 'public'"
        }
    };
    let rows = connection
        .query_all_raw(Statement::from_string(
            connection.get_database_backend(),
            sql,
        ))
        .await
        .expect("the tables are listed");
    rows.iter()
        .map(|row| row.try_get::<String>("", "name").expect("a name"))
        .collect()
}

fn assert_holds_only(tables: &[String], side: &str, ours: &[&str], theirs: &[&str]) {
    for table in ours {
        assert!(
            tables.iter().any(|found| found == table),
            "the {side} database lacks {table}: {tables:?}"
        );
    }
    for table in theirs {
        assert!(
            !tables.iter().any(|found| found == table),
            "the {side} database holds {table}: {tables:?}"
        );
    }
}

async fn migrate_on_split_databases_puts_each_sides_tables_in_its_own(command: TestDatabase) {
    let read = TestDatabase::create(command.backend()).await;
    let output = Command::new(env!("CARGO_BIN_EXE_rosterql"))
        .arg("migrate")
        .env_remove("ROSTERQL_JWT_SECRET")
        .env("DATABASE_URL", &command.url)
        .env("READ_DATABASE_URL", &read.url)
        .output()
        .expect("the binary runs");
    succeeded(&output);

    let backend = command.backend();
    let command_tables = tables(backend, &command.url).await;
    assert_holds_only(&command_tables, "command", &COMMAND_TABLES, &READ_TABLES);
    let read_tables = tables(backend, &read.url).await;
    assert_holds_only(&read_tables, "read", &READ_TABLES, &COMMAND_TABLES);

    // A server configured the same way works on them: writes go to one, reads to the other.
    let app = TestApp::spawn_process(command, &[("READ_DATABASE_URL", &read.url)]).await;
    let (organization_id, user) = app.organization_with_user().await;
    app.settle().await;
    let body = app
        .gql(
            "query($id: ID!) { organization(id: $id) { memberCount } users { totalCount nodes { id } } }",
            json!({ "id": organization_id }),
        )
        .await;
    assert_no_errors(&body);
    assert_eq!(body["data"]["organization"]["memberCount"], 1, "{body}");
    assert_eq!(
        body["data"]["users"]["nodes"],
        json!([{ "id": user["userId"] }])
    );
    // The rows are where they belong.
    let reads: DatabaseConnection = Database::connect(&read.url).await.expect("the read db");
    let profiles = reads
        .query_all_raw(Statement::from_string(
            reads.get_database_backend(),
            "SELECT 1 FROM user_profiles",
        ))
        .await
        .expect("the read rows");
    assert_eq!(profiles.len(), 1);
    assert_eq!(
        tables(backend, &read.url).await.len(),
        read_tables.len(),
        "serving made no new tables on the read side"
    );
}

async fn the_consistency_timeout_comes_from_the_environment(database: TestDatabase) {
    let bound = Duration::from_millis(300);
    let app = TestApp::spawn_process(database, &[("ROSTERQL_CONSISTENCY_TIMEOUT", "300ms")]).await;
    // The payload asks for nothing of the read side, so nothing here waits on the bound.
    let created = app
        .mutate(
            "createOrganization",
            json!({ "slug": "acme", "name": "Acme" }),
            "organizationId consistencyToken",
        )
        .await;
    app.settle().await;

    // A token of this server's own kind, far beyond anything committed: the read side never
    // reaches it, and the query fails after the 300 ms bound (the default is 5 s).
    let token = text(&created["consistencyToken"]);
    let (transaction, sequence) = token
        .rsplit_once('.')
        .unwrap_or_else(|| panic!("an unexpected token {token:?}"));
    let sequence: i64 = sequence.parse().expect("a sequence");
    let far_ahead = format!("{transaction}.{}", sequence + 1_000_000);
    let started = Instant::now();
    let (_, body) = app
        .post(
            Some(&app.admin),
            &[("X-Consistency-Token", &far_ahead)],
            json!({ "query": "{ readModel { position } }" }),
        )
        .await;
    let waited = started.elapsed();
    assert_eq!(error_code(&body), "CONSISTENCY_TIMEOUT", "{body}");
    assert!(waited >= bound, "answered after {waited:?}: {body}");
    assert!(
        waited < Duration::from_secs(3),
        "ROSTERQL_CONSISTENCY_TIMEOUT was not used: {waited:?}"
    );
}

/// Thirty renames committed while the projector is held back, so they are published at
/// once, as `app`'s listener sees them; returns the server's catch-up count afterwards.
async fn catchups_after_a_flood(app: &HoldableApp) -> f64 {
    let (_, user) = app.organization_with_user().await;
    let user_id = text(&user["userId"]);
    let variables = json!({ "userId": user_id, "after": app.read_position().await });
    let mut listener =
        WsClient::subscribed(app, Some(&app.admin), &user_changed("event"), variables).await;
    let hold = app.hold().await;
    let commands = app.database().command_service().await;
    for version in 1..=30 {
        let rename = RenameUser {
            target: Target {
                id: user_id.parse().expect("a uuid"),
                expected_version: version,
            },
            name: format!("Ada {version}"),
        };
        commands
            .execute(&CommandContext::default(), rename)
            .await
            .expect("a rename");
    }
    hold.release().await;
    for _ in 0..30 {
        let change: Value = listener.next_change("userChanged").await;
        assert_eq!(change["event"], "UserRenamed", "{change}");
    }
    app.counter("rosterql_subscription_catchups_total", &[])
        .await
}

async fn the_change_buffer_comes_from_the_environment(database: TestDatabase) {
    let backend = database.backend();
    // The default buffer (4096) holds a flood of thirty: no listener falls behind.
    let app = HoldableApp::start(database, &[]).await;
    assert_eq!(catchups_after_a_flood(&app).await, 0.0);
    drop(app);

    // ROSTERQL_CHANGE_BUFFER=2 does not: the listener falls behind and catches up.
    let database = TestDatabase::create(backend).await;
    let app = HoldableApp::start(database, &[("ROSTERQL_CHANGE_BUFFER", "2")]).await;
    assert!(catchups_after_a_flood(&app).await >= 1.0);
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        migrate_on_split_databases_puts_each_sides_tables_in_its_own,
        the_consistency_timeout_comes_from_the_environment,
        the_change_buffer_comes_from_the_environment,
    )
}
