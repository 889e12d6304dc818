//! The Postgres event-ordering trap: a sequence value is taken at INSERT but becomes visible
//! at COMMIT, so a transaction that appended first can commit after a later event is already
//! visible. The projector must wait for it instead of skipping it.
//!
//! Postgres only: SQLite has one writer at a time, so commit order is position order there.

use std::time::Duration;

use libtest_mimic::Trial;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    TestApp, TestDatabase, WsClient, assert_no_errors, on_postgres, text, user_changed,
};

const BLOCKED_READS: &str = "rosterql_projector_blocked_reads_total";
/// How long the test gives a server to do something it must not do (a change that must not
/// arrive): a correct server never does it, so this bound cannot flake, only miss.
const QUIET: Duration = Duration::from_millis(200);
const WAIT: Duration = Duration::from_secs(15);

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

/// Renames user `id` of organization `organization_id` from version 1 to 2 the way
/// `renameUser` does (the guarded row update and the event), on `txn`.
async fn rename_user_from_version_1(
    txn: &impl ConnectionTrait,
    organization_id: &str,
    id: &str,
    name: &str,
) {
    let id = Uuid::parse_str(id).expect("a uuid");
    let updated = txn
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE users SET name = $2, version = 2 WHERE id = $1 AND version = 1",
            [id.into(), name.into()],
        ))
        .await
        .expect("the held transaction updates the user");
    assert_eq!(updated.rows_affected(), 1, "the user was at version 1");
    let payload =
        json!({ "event": "UserRenamed", "organization_id": organization_id, "name": name });
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO events
            (aggregate_type, aggregate_id, aggregate_version, event_type, payload, metadata, recorded_at)
         VALUES ('user', $1, 2, 'UserRenamed', $2, '{}', now())",
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

/// A position or token as (transaction, sequence), to compare in log order. (The format is
/// the server's business; a test may lean on it.)
fn log_order(position: &str) -> (i64, i64) {
    let (tx, seq) = position
        .split_once('.')
        .unwrap_or_else(|| panic!("an unexpected position {position:?}"));
    (
        tx.parse().expect("a transaction"),
        seq.parse().expect("a sequence"),
    )
}

/// Waits until the projector has read the log and stopped at an unsettled event at least
/// twice since `since` (its loop is sequential, so the second such read began after the
/// first one ended, hence after whatever committed before `since` was taken).
async fn wait_for_blocked_reads(app: &TestApp, since: f64) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let now = app.counter(BLOCKED_READS, &[]).await;
        if now >= since + 2.0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the projector never stopped at the open transaction ({BLOCKED_READS} {since} -> {now})"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn read_model(app: &TestApp) -> Value {
    let body = app
        .gql(
            "{ readModel { position headPosition lagEvents } }",
            json!({}),
        )
        .await;
    assert_no_errors(&body);
    body["data"]["readModel"].clone()
}

async fn user_names(app: &TestApp, ids: &[&str]) -> Vec<Value> {
    let mut names = Vec::new();
    for id in ids {
        let body = app
            .gql(
                "query($id: ID!) { user(id: $id) { name version } }",
                json!({ "id": id }),
            )
            .await;
        assert_no_errors(&body);
        names.push(body["data"]["user"].clone());
    }
    names
}

/// An older transaction renames Ada and stays open; a later command renames Grace and
/// commits. The projector must stop at Ada's event (not skip it, not apply Grace's), and
/// once the older transaction commits apply both in log order: Ada's first.
async fn an_event_that_commits_after_a_later_one_is_not_skipped(database: TestDatabase) {
    let app = TestApp::spawn_process(database, &[]).await;
    let (organization_id, ada) = app.acme_with_ada().await;
    let grace = text(
        &app.create_user(&organization_id, "grace@example.com", "Grace")
            .await["userId"],
    );
    let start = app.read_position().await;
    let query = user_changed("event userId position user { name }");
    let variables = json!({ "organizationId": organization_id, "after": start });
    let mut listener = WsClient::subscribed(&app, Some(&app.admin), &query, variables).await;

    let writer = Database::connect(app.database().url.clone())
        .await
        .expect("a second connection");
    let held = writer.begin().await.expect("a transaction");
    rename_user_from_version_1(&held, &organization_id, &ada, "Ada Held").await;

    // A later command commits while the first transaction is still open: its position is
    // higher and already visible.
    let input = json!({ "id": grace, "expectedVersion": 1, "name": "Grace Later" });
    let later =
        text(&app.mutate("renameUser", input, "consistencyToken").await["consistencyToken"]);
    let since = app.counter(BLOCKED_READS, &[]).await;
    wait_for_blocked_reads(&app, since).await;

    let status = read_model(&app).await;
    assert_eq!(
        status["position"],
        start.as_str(),
        "the projector moved while an older transaction was open: {status}"
    );
    assert!(
        log_order(&text(&status["headPosition"])) >= log_order(&later),
        "the later command is committed: {status}"
    );
    assert_eq!(
        user_names(&app, &[&ada, &grace]).await,
        [
            json!({ "name": "Ada Lovelace", "version": 1 }),
            json!({ "name": "Grace", "version": 1 })
        ],
        "nothing was applied past the open transaction"
    );
    assert!(
        tokio::time::timeout(QUIET, listener.receive())
            .await
            .is_err(),
        "a listener heard of a change the projector must not have applied yet"
    );

    held.commit().await.expect("the held transaction commits");
    app.settle().await;
    let first = listener.next_change("userChanged").await;
    let second = listener.next_change("userChanged").await;
    assert_eq!(
        [
            (&first["userId"], &first["user"]["name"]),
            (&second["userId"], &second["user"]["name"])
        ],
        [
            (&json!(ada), &json!("Ada Held")),
            (&json!(grace), &json!("Grace Later"))
        ],
        "the older transaction's event comes first: {first} then {second}"
    );
    let (first, second) = (text(&first["position"]), text(&second["position"]));
    assert!(
        log_order(&start) < log_order(&first) && log_order(&first) < log_order(&second),
        "positions in log order: {start} < {first} < {second}"
    );
    assert_eq!(second, later, "the later command's token is its position");
    assert_eq!(
        text(&read_model(&app).await["position"]),
        later,
        "the read side ends at the later command"
    );
    assert_eq!(
        user_names(&app, &[&ada, &grace]).await,
        [
            json!({ "name": "Ada Held", "version": 2 }),
            json!({ "name": "Grace Later", "version": 2 })
        ]
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
