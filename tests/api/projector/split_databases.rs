//! The command and read databases may be two different databases.

use libtest_mimic::Trial;
use serde_json::json;

use crate::support::{TestApp, TestDatabase, assert_no_errors, on_both_databases, test_config};

async fn commands_and_reads_work_across_two_databases(command_db: TestDatabase) {
    let read_db = TestDatabase::create(command_db.backend()).await;
    let mut config = test_config(&command_db);
    config.read_database_url = Some(read_db.url.clone());
    let app = TestApp::start(&config).await;

    let (organization_id, user) = app.organization_with_user().await;
    assert_eq!(user["user"]["organization"]["id"], organization_id.as_str());
    let body = app
        .gql(
            "query($id: ID!) { organization(id: $id) { memberCount } users { totalCount } readModel { lagEvents } }",
            json!({ "id": organization_id }),
        )
        .await;
    assert_no_errors(&body);
    assert_eq!(body["data"]["organization"]["memberCount"], 1);
    assert_eq!(body["data"]["users"]["totalCount"], 1);

    // Each side's tables live in its own database only.
    let command = sea_orm::Database::connect(&command_db.url)
        .await
        .expect("the command db");
    let read = sea_orm::Database::connect(&read_db.url)
        .await
        .expect("the read db");
    assert!(
        table_exists(&command, "events").await && !table_exists(&command, "user_profiles").await
    );
    assert!(table_exists(&read, "user_profiles").await && !table_exists(&read, "events").await);
    app.stop().await;
}

async fn table_exists(db: &sea_orm::DatabaseConnection, table: &str) -> bool {
    use sea_orm::ConnectionTrait;
    db.execute_unprepared(&format!("SELECT 1 FROM {table} LIMIT 1"))
        .await
        .is_ok()
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(commands_and_reads_work_across_two_databases,)
}
