//! `rosterql rebuild-projections`: the read side rebuilt from the event log is the read side
//! the projector kept, even when the read tables were damaged, over more events than one
//! rebuild batch holds (500); reads, writes and listeners beside a rebuild notice nothing;
//! and instances running beside a rebuild or a repair drop their caches.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use libtest_mimic::Trial;
use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, DbBackend, FromQueryResult, JsonValue, Statement,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    TestApp, TestDatabase, WsClient, assert_no_errors, on_both_databases, on_postgres,
    rosterql_output, run_rosterql, test_config,
};

const ORGANIZATIONS: u32 = 10;
const USERS: u32 = 1_100;
const READ_TABLES: [&str; 3] = [
    "organization_profiles",
    "user_profiles",
    "projector_checkpoints",
];

/// Every row of every read table, in a fixed order.
async fn read_tables(db: &DatabaseConnection) -> Value {
    let mut tables = serde_json::Map::new();
    for table in READ_TABLES {
        let order = if table == "projector_checkpoints" {
            "1"
        } else {
            "id"
        };
        let statement = Statement::from_string(
            db.get_database_backend(),
            format!("SELECT * FROM {table} ORDER BY {order}"),
        );
        let rows = JsonValue::find_by_statement(statement)
            .all(db)
            .await
            .unwrap_or_else(|error| panic!("reading {table}: {error}"));
        // When the checkpoint last moved is not part of what the read side says, nor
        // SQLite's key of a user's row in its search index (a rebuild that never writes a
        // user created and deleted within one batch numbers the rows after it one lower).
        let rows = rows
            .into_iter()
            .map(|mut row| {
                if let Some(row) = row.as_object_mut() {
                    row.remove("search_rowid");
                    if table == "projector_checkpoints" {
                        row.remove("updated_at");
                    }
                }
                row
            })
            .collect();
        tables.insert(table.to_owned(), Value::Array(rows));
    }
    Value::Object(tables)
}

/// Runs `sql` with `id` (a uuid) bound wherever it says `{id}`; returns the rows changed.
async fn execute(db: &DatabaseConnection, sql: &str, id: Option<&str>) -> u64 {
    let backend = db.get_database_backend();
    let placeholder = match backend {
        DbBackend::Postgres => "$1",
        _ => "?",
    };
    let values: Vec<sea_orm::Value> = id
        .map(|id| Uuid::parse_str(id).expect("a uuid").into())
        .into_iter()
        .collect();
    let statement =
        Statement::from_sql_and_values(backend, sql.replace("{id}", placeholder), values);
    db.execute_raw(statement)
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"))
        .rows_affected()
}

async fn ids(app: &TestApp, list: &str) -> Vec<String> {
    let body = app
        .gql(
            &format!("{{ {list}(first: 3) {{ nodes {{ id }} }} }}"),
            json!({}),
        )
        .await;
    assert_no_errors(&body);
    body["data"][list]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|node| node["id"].as_str().expect("an id").to_owned())
        .collect()
}

async fn a_rebuild_restores_a_damaged_read_side_from_more_than_two_batches_of_events(
    database: TestDatabase,
) {
    run_rosterql(&database.url, None, &["migrate"]).await;
    run_rosterql(
        &database.url,
        None,
        &[
            "seed",
            "--organizations",
            &ORGANIZATIONS.to_string(),
            "--users",
            &USERS.to_string(),
        ],
    )
    .await;
    // Events besides creations: renames, a suspension, a deletion, on top of the seed.
    let app = TestApp::start(&test_config(&database)).await;
    app.settle().await;
    let users = ids(&app, "users").await;
    let organizations = ids(&app, "organizations").await;
    let rename = json!({ "id": users[0], "expectedVersion": 1, "name": "Renamed Before" });
    app.mutate("renameUser", rename, "version").await;
    let suspend = json!({ "id": users[1], "expectedVersion": 1 });
    app.mutate("suspendUser", suspend, "version").await;
    let delete = json!({ "id": users[2], "expectedVersion": 1 });
    app.mutate("deleteUser", delete, "version").await;
    let rename = json!({ "id": organizations[0], "expectedVersion": 1, "name": "Renamed Org" });
    app.mutate("renameOrganization", rename, "version").await;
    app.settle().await;
    app.stop().await;

    let db = Database::connect(&database.url)
        .await
        .expect("the database");
    let events = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT count(*) AS n FROM events",
        ))
        .await
        .expect("a count")
        .expect("a row")
        .try_get::<i64>("", "n")
        .expect("n");
    assert!(
        events > 1_000,
        "{events} events: fewer than two batches and a bit"
    );
    let before = read_tables(&db).await;
    assert_eq!(
        before["user_profiles"].as_array().map(Vec::len),
        Some(USERS as usize - 1),
        "the projector kept every live user"
    );

    // Damage every kind of read row.
    let user = &users[0];
    let organization = &organizations[1];
    let damaged = [
        (
            "UPDATE user_profiles SET name = 'Damaged' WHERE id = {id}",
            Some(user.as_str()),
        ),
        (
            "DELETE FROM organization_profiles WHERE id = {id}",
            Some(organization.as_str()),
        ),
        (
            "UPDATE organization_profiles \
             SET member_count = member_count + 5, active_member_count = 0",
            None,
        ),
    ];
    for (sql, id) in damaged {
        assert!(execute(&db, sql, id).await > 0, "{sql} changed nothing");
    }
    assert_ne!(read_tables(&db).await, before, "the damage shows");

    run_rosterql(&database.url, None, &["rebuild-projections"]).await;
    let after = read_tables(&db).await;
    for table in READ_TABLES {
        let first_difference = before[table]
            .as_array()
            .into_iter()
            .flatten()
            .zip(after[table].as_array().into_iter().flatten())
            .find(|(before, after)| before != after);
        assert!(
            after[table] == before[table],
            "{table} differs after the rebuild: {} rows before, {} after; first {first_difference:?}",
            before[table].as_array().map_or(0, Vec::len),
            after[table].as_array().map_or(0, Vec::len),
        );
    }

    // A server on the rebuilt side serves it and has nothing left to apply.
    let app = TestApp::start(&test_config(&database)).await;
    let body = app
        .gql(
            "query($id: ID!) { user(id: $id) { name } readModel { lagEvents position headPosition } }",
            json!({ "id": user }),
        )
        .await;
    assert_no_errors(&body);
    assert_eq!(body["data"]["user"]["name"], "Renamed Before", "{body}");
    assert_eq!(body["data"]["readModel"]["lagEvents"], 0, "{body}");
    app.stop().await;
}

/// A rebuild beside a serving instance that keeps reading and writing: every read answers
/// the whole directory (never an empty, half-built or older table), every write is
/// accepted, a listener gets each new user once, in order, and afterwards the read side is
/// what the log says (a creation the new tables missed would show as a missing row and a
/// wrong member count).
async fn a_rebuild_beside_reads_and_writes_is_seen_by_none_of_them(database: TestDatabase) {
    run_rosterql(&database.url, None, &["migrate"]).await;
    let seed = ["seed", "--organizations", "3", "--users", "600"];
    run_rosterql(&database.url, None, &seed).await;
    let app = TestApp::start(&test_config(&database)).await;
    app.settle().await;
    let organization = ids(&app, "organizations").await.remove(0);
    let after = app.read_position().await;
    let changes = "subscription($id: ID, $after: String) { \
        userChanged(organizationId: $id, after: $after) { event position } }";
    let variables = json!({ "id": organization, "after": after });
    let mut listener = WsClient::subscribed(&app, Some(&app.admin), changes, variables).await;

    let rebuilding = AtomicBool::new(true);
    let rebuild = async {
        run_rosterql(&database.url, None, &["rebuild-projections"]).await;
        rebuilding.store(false, Ordering::Release);
    };
    let query = "{ users(first: 1) { totalCount } organizations(first: 1) { totalCount } }";
    let reads = async {
        let (mut reads, mut users) = (0, 600);
        let mut slowest = Duration::ZERO;
        while rebuilding.load(Ordering::Acquire) {
            let started = Instant::now();
            let body = app.gql_as(None, query, json!({})).await;
            slowest = slowest.max(started.elapsed());
            assert_no_errors(&body);
            let seen = body["data"]["users"]["totalCount"].as_i64().unwrap_or(0);
            assert!(
                seen >= users,
                "read {reads}: {seen} users after {users}: {body}"
            );
            assert_eq!(body["data"]["organizations"]["totalCount"], 3, "{body}");
            users = seen;
            reads += 1;
        }
        (reads, slowest)
    };
    let creations = async {
        let mut created = 0;
        while rebuilding.load(Ordering::Acquire) || created < 20 {
            let email = format!("during{created}@example.com");
            app.create_user(&organization, &email, "During").await;
            created += 1;
        }
        created
    };
    let ((), (reads, slowest), created) = tokio::join!(rebuild, reads, creations);
    eprintln!("{reads} reads during the rebuild, the slowest {slowest:?}; {created} users created");
    assert!(reads > 0, "no read ran during the rebuild");

    // Each creation reaches the listener once, in order: as many changes as creations, each
    // further along the log, the last one the last made.
    let last = app
        .create_user(&organization, "after@example.com", "After")
        .await;
    let mut positions = Vec::new();
    for _ in 0..=created {
        let change = listener.next_change("userChanged").await;
        assert_eq!(change["event"], "UserCreated", "{change}");
        positions.push(change["position"].as_str().expect("a position").to_owned());
    }
    let in_order = positions
        .windows(2)
        .all(|pair| position(&pair[0]) < position(&pair[1]));
    assert!(in_order, "{positions:?}");
    let token = last["consistencyToken"].as_str().expect("a token");
    assert_eq!(
        positions.last().map(String::as_str),
        Some(token),
        "{positions:?}"
    );
    app.settle().await;
    let verified = rosterql_output(&database.url, None, &["verify-projections"]).await;
    assert_eq!(
        verified.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
    app.stop().await;
}

/// A rebuild or a repair run beside serving instances is announced: the leader and every
/// follower drop the cache entries they filled from the damaged tables.
async fn running_instances_drop_their_caches_after(database: TestDatabase, command: &[&str]) {
    let app = TestApp::start(&test_config(&database)).await;
    let (_, created) = app.organization_with_user().await;
    app.settle().await;
    let id = created["userId"].as_str().expect("a user id").to_owned();
    let name = app.user_name(&id).await;
    app.stop().await;

    let db = Database::connect(&database.url)
        .await
        .expect("the database");
    let damage = "UPDATE user_profiles SET name = 'Damaged' WHERE id = {id}";
    assert_eq!(execute(&db, damage, Some(&id)).await, 1);
    // Two instances (the first leads), each caching the damaged row.
    let leader = TestApp::start(&test_config(&database)).await;
    let follower = TestApp::start(&test_config(&database)).await;
    for app in [&leader, &follower] {
        assert_eq!(app.user_name(&id).await, "Damaged");
    }

    run_rosterql(&database.url, None, command).await;
    for app in [&leader, &follower] {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        while app.user_name(&id).await != name {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} still serves the damaged row from its cache after {command:?}",
                app.address
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    leader.stop().await;
    follower.stop().await;
}

async fn running_instances_drop_their_caches_when_the_read_side_is_rebuilt(database: TestDatabase) {
    running_instances_drop_their_caches_after(database, &["rebuild-projections"]).await;
}

async fn running_instances_drop_their_caches_when_the_read_side_is_repaired(
    database: TestDatabase,
) {
    let repair = ["verify-projections", "--repair"];
    running_instances_drop_their_caches_after(database, &repair).await;
}

/// A position as (tx, seq), to compare.
fn position(text: &str) -> (i64, i64) {
    let (tx, seq) = text.split_once('.').expect("tx.seq");
    (tx.parse().expect("tx"), seq.parse().expect("seq"))
}

pub(super) fn trials() -> Vec<Trial> {
    let mut trials = on_both_databases!(
        a_rebuild_restores_a_damaged_read_side_from_more_than_two_batches_of_events,
        a_rebuild_beside_reads_and_writes_is_seen_by_none_of_them,
    );
    trials.extend(on_postgres!(
        running_instances_drop_their_caches_when_the_read_side_is_rebuilt,
        running_instances_drop_their_caches_when_the_read_side_is_repaired,
    ));
    trials
}
