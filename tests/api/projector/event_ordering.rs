//! The Postgres event-ordering trap: a sequence value is taken at INSERT but becomes visible
//! at COMMIT, so a transaction that appended first can commit after a later event is already
//! visible. The projector must wait for it instead of skipping it.
//!
//! Postgres only: SQLite has one writer at a time, so commit order is position order there.

use std::time::Duration;

use libtest_mimic::Trial;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use crate::support::{TestApp, assert_no_errors, on_postgres, text};

const HOLD: Duration = Duration::from_millis(600);

/// Appends an `OrganizationCreated` event the way a command does, on `txn`.
async fn append_organization_created(txn: &impl ConnectionTrait, id: Uuid, slug: &str) {
    let payload = json!({ "event": "OrganizationCreated", "slug": slug, "name": "Held Back" });
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO events
            (aggregate_type, aggregate_id, aggregate_version, event_type, payload, metadata, recorded_at)
         VALUES ('organization', $1, 1, 'OrganizationCreated', $2, '{}', now())",
        [id.into(), payload.into()],
    ))
    .await
    .expect("the held transaction appends its event");
}

/// Runs createOrganization without asking for the read-side `organization` (which would
/// wait for the projector); returns the consistency token.
async fn create_organization_without_waiting(app: &TestApp, slug: &str) -> String {
    let input = json!({ "slug": slug, "name": slug });
    text(
        &app.mutate("createOrganization", input, "consistencyToken")
            .await["consistencyToken"],
    )
}

async fn slugs_on_the_read_side(app: &TestApp) -> Vec<String> {
    let body = app
        .gql(
            "{ organizations(first: 100) { nodes { slug } } }",
            json!({}),
        )
        .await;
    assert_no_errors(&body);
    let nodes = body["data"]["organizations"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone();
    nodes
        .into_iter()
        .map(|node| node["slug"].as_str().expect("a slug").to_owned())
        .collect()
}

async fn an_event_that_commits_after_a_later_one_is_not_skipped(app: TestApp) {
    app.create_organization("before", "Before").await;
    app.settle().await;

    let url = app.database().url.clone();
    let writer = Database::connect(url).await.expect("a second connection");
    let held = writer.begin().await.expect("a transaction");
    let held_id = Uuid::now_v7();
    append_organization_created(&held, held_id, "held").await;

    // A later command commits while the first transaction is still open: its position is
    // higher and already visible.
    let later = create_organization_without_waiting(&app, "later").await;
    tokio::time::sleep(HOLD).await;
    let status = app
        .gql(
            "{ readModel { position headPosition lagEvents } }",
            json!({}),
        )
        .await;
    assert_ne!(
        status["data"]["readModel"]["position"],
        later.as_str(),
        "the projector moved past an open transaction: {status}"
    );
    assert!(
        !slugs_on_the_read_side(&app)
            .await
            .contains(&"later".to_owned())
    );

    held.commit().await.expect("the held transaction commits");
    app.settle().await;
    let slugs = slugs_on_the_read_side(&app).await;
    assert_eq!(
        slugs,
        ["before", "held", "later"],
        "both events are applied, in commit-safe order"
    );
    let body = app
        .gql(
            "query($id: ID!) { organization(id: $id) { slug version } }",
            json!({ "id": held_id.to_string() }),
        )
        .await;
    assert_eq!(
        body["data"]["organization"],
        json!({ "slug": "held", "version": 1 })
    );
}

async fn a_rolled_back_append_leaves_no_gap_that_stalls_the_projector(app: TestApp) {
    let url = app.database().url.clone();
    let writer = Database::connect(url).await.expect("a second connection");
    let abandoned = writer.begin().await.expect("a transaction");
    append_organization_created(&abandoned, Uuid::now_v7(), "abandoned").await;
    let later = create_organization_without_waiting(&app, "later").await;
    abandoned
        .rollback()
        .await
        .expect("the transaction rolls back");

    let body = app
        .post(
            Some(&app.admin),
            &[("X-Consistency-Token", later.as_str())],
            json!({ "query": "{ organizations { nodes { slug } } }" }),
        )
        .await
        .1;
    assert_no_errors(&body);
    assert_eq!(
        body["data"]["organizations"]["nodes"],
        json!([{ "slug": "later" }])
    );
}

pub(super) fn trials() -> Vec<Trial> {
    on_postgres!(
        an_event_that_commits_after_a_later_one_is_not_skipped,
        a_rolled_back_append_leaves_no_gap_that_stalls_the_projector,
    )
}
