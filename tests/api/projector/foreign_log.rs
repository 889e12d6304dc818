//! A checkpoint only counts in the log it was taken from. When the log's positions went
//! back below it, or the log is another cluster's (a restored or logically replicated
//! command database), the projector refuses to run, loudly: `/readyz` says why, nothing is
//! projected, and a rebuild of the read side sets things right.

use std::time::Duration;

use libtest_mimic::Trial;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

use crate::support::{
    Backend, TestApp, TestDatabase, assert_no_errors, on_both_databases, on_postgres, run_rosterql,
    test_config,
};

const WAIT: Duration = Duration::from_secs(15);

/// Waits for `/readyz` to answer 503 and returns its reason.
async fn unready_reason(app: &TestApp) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (status, body) = app.readiness().await;
        if status == 503 {
            return body["reason"].as_str().unwrap_or_default().to_owned();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still ready: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn read_position(app: &TestApp) -> Value {
    let body = app.gql("{ readModel { position } }", json!({})).await;
    assert_no_errors(&body);
    body["data"]["readModel"]["position"].clone()
}

/// Stops `app`, runs `sql` on its database, and starts a server on it again.
async fn restart_after(app: TestApp, sql: &str) -> (TestApp, TestDatabase) {
    let database = app.stop().await.expect("the app owns its database");
    let connection = Database::connect(&database.url)
        .await
        .expect("the database opens");
    let changed = connection
        .execute_unprepared(sql)
        .await
        .expect("the checkpoint is edited");
    assert_eq!(changed.rows_affected(), 1, "{sql}");
    let app = TestApp::start(&test_config(&database)).await;
    (app, database)
}

/// Asserts that a command accepted now is not projected.
async fn nothing_is_projected(app: &TestApp) {
    let before = read_position(app).await;
    // Not selecting the payload's organization: it would wait for the projector.
    let input = json!({ "slug": "globex", "name": "Globex" });
    app.mutate("createOrganization", input, "organizationId")
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(read_position(app).await, before, "the projector ran");
}

async fn a_log_whose_positions_went_back_below_the_checkpoint_is_refused(app: TestApp) {
    app.create_organization("acme", "Acme").await;
    app.settle().await;
    // The checkpoint now lies beyond every event the log holds.
    let beyond = match app.database().backend() {
        Backend::Postgres => "tx = tx + 1000",
        Backend::Sqlite => "seq = seq + 1000",
    };
    let (app, _database) =
        restart_after(app, &format!("UPDATE projector_checkpoints SET {beyond}")).await;
    let reason = unready_reason(&app).await;
    assert!(reason.contains("went backwards"), "{reason}");
    assert!(reason.contains("rebuild-projections"), "{reason}");
    nothing_is_projected(&app).await;
}

async fn a_log_of_another_cluster_is_refused_until_the_read_side_is_rebuilt(app: TestApp) {
    app.create_organization("acme", "Acme").await;
    app.settle().await;
    let (app, database) =
        restart_after(app, "UPDATE projector_checkpoints SET log_identity = '42'").await;
    let reason = unready_reason(&app).await;
    assert!(reason.contains("another database cluster"), "{reason}");
    assert!(reason.contains("(42)"), "{reason}");
    nothing_is_projected(&app).await;
    app.stop().await;

    run_rosterql(&database.url, None, &["rebuild-projections"]).await;
    let app = TestApp::start(&test_config(&database)).await;
    app.settle().await;
    let body = app
        .gql("{ organizations(first: 10) { totalCount } }", json!({}))
        .await;
    assert_eq!(body["data"]["organizations"]["totalCount"], 2, "{body}");
}

pub(super) fn trials() -> Vec<Trial> {
    let mut trials =
        on_both_databases!(a_log_whose_positions_went_back_below_the_checkpoint_is_refused);
    trials.extend(on_postgres!(
        a_log_of_another_cluster_is_refused_until_the_read_side_is_rebuilt
    ));
    trials
}
