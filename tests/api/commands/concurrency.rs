//! Concurrent commands: optimistic concurrency on one aggregate and unique keys under load.
//! Many requests in flight at once are decided by the contract's codes (`VERSION_CONFLICT`,
//! `ALREADY_EXISTS`), never by an internal error or a locked database.
//!
//! What the concurrent tests prove depends on the database. On SQLite the commands cannot
//! race: they queue for the one write connection and run one after the other, so a
//! conflict there is always found by the version check when the aggregate is loaded, and
//! these tests prove that queueing many requests answers each by the contract (no
//! `database is locked`). On Postgres they run at once, but whether one of them loses at the
//! guarded write rather than at the version check is up to the scheduler: the lost race
//! itself is [`a_rename_that_loses_the_race_at_its_guarded_write_is_a_version_conflict`],
//! made to happen with a row lock.

use std::collections::HashSet;
use std::time::Duration;

use futures_util::future::join_all;
use libtest_mimic::Trial;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    TestApp, WsClient, assert_no_errors, on_both_databases, on_postgres, user_changed,
};

/// How many requests race at once.
const RACERS: usize = 20;

async fn rename(app: &TestApp, id: &str, expected_version: i64, name: &str) -> Result<i64, Value> {
    let input = json!({ "id": id, "expectedVersion": expected_version, "name": name });
    let payload = app.try_mutate("renameUser", input, "version").await?;
    Ok(payload["version"]
        .as_i64()
        .unwrap_or_else(|| panic!("no version in {payload}")))
}

async fn create_user(
    app: &TestApp,
    organization_id: &str,
    email: &str,
    name: &str,
) -> Result<Value, Value> {
    let input = json!({ "organizationId": organization_id, "email": email, "name": name });
    app.try_mutate("createUser", input, "version").await
}

/// An error's `extensions.code`.
fn code(error: &Value) -> &str {
    error["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no code in {error}"))
}

/// The conflict's `actualVersion`, after checking it is a `VERSION_CONFLICT` at `expected`.
fn actual_version(error: &Value, expected: i64) -> i64 {
    assert_eq!(
        code(error),
        "VERSION_CONFLICT",
        "a lost race must be a version conflict: {error}"
    );
    assert_eq!(error["extensions"]["expectedVersion"], expected, "{error}");
    error["extensions"]["actualVersion"]
        .as_i64()
        .unwrap_or_else(|| panic!("no actualVersion in {error}"))
}

/// An organization and one user in it, created and projected; returns their ids.
async fn one_user(app: &TestApp) -> (String, String) {
    let (organization_id, user) = app.organization_with_user().await;
    assert_eq!(user["version"], 1);
    (
        organization_id,
        user["userId"].as_str().expect("a user id").to_owned(),
    )
}

/// The user as the read side holds it, once it has caught up.
async fn projected_user(app: &TestApp, id: &str) -> Value {
    app.settle().await;
    let body = app
        .gql(
            "query($id: ID!) { user(id: $id) { name version } }",
            json!({ "id": id }),
        )
        .await;
    assert_no_errors(&body);
    body["data"]["user"].clone()
}

/// The organization's member counts and listed users, once the read side has caught up.
async fn projected_members(app: &TestApp, organization_id: &str) -> (Value, Value) {
    app.settle().await;
    let body = app
        .gql(
            "query($id: ID!) { organization(id: $id) { memberCount activeMemberCount }
                users(organizationId: $id, first: 100) { totalCount nodes { email name } } }",
            json!({ "id": organization_id }),
        )
        .await;
    assert_no_errors(&body);
    (
        body["data"]["organization"].clone(),
        body["data"]["users"].clone(),
    )
}

/// Many renames of one user at version 1 in flight at once: exactly one is accepted, every
/// other one is a `VERSION_CONFLICT` at version 2 (on SQLite, found by the version check of
/// commands run one after the other).
async fn of_many_renames_at_the_same_version_exactly_one_is_accepted(app: TestApp) {
    let (_, user_id) = one_user(&app).await;

    let names: Vec<String> = (0..RACERS).map(|racer| format!("Racer {racer}")).collect();
    let outcomes = join_all(names.iter().map(|name| rename(&app, &user_id, 1, name))).await;

    let winners: Vec<_> = names
        .iter()
        .zip(&outcomes)
        .filter(|(_, outcome)| outcome.is_ok())
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "exactly one rename at version 1 may win: {outcomes:?}"
    );
    let (winner, version) = winners[0];
    assert_eq!(
        version.as_ref().ok(),
        Some(&2),
        "the winner makes version 2"
    );
    for error in outcomes.iter().filter_map(|outcome| outcome.as_ref().err()) {
        assert_eq!(actual_version(error, 1), 2, "{error}");
    }
    assert_eq!(
        projected_user(&app, &user_id).await,
        json!({ "name": winner, "version": 2 })
    );
}

/// Renames `user_id` `renames` times, starting from version `known`, each time at the
/// version it last learned (from its own success or from a conflict); returns the accepted
/// (version, name) pairs.
async fn rename_until_accepted(
    app: &TestApp,
    user_id: &str,
    mut known: i64,
    writer: usize,
    renames: usize,
) -> Vec<(i64, String)> {
    let mut accepted = Vec::new();
    let mut attempts = 0;
    while accepted.len() < renames {
        attempts += 1;
        assert!(
            attempts < 1_000,
            "writer {writer} never got through: {accepted:?}"
        );
        let name = format!("Writer {writer} attempt {attempts}");
        match rename(app, user_id, known, &name).await {
            Ok(version) => {
                assert_eq!(
                    version,
                    known + 1,
                    "an accepted command grows the version by exactly 1"
                );
                accepted.push((version, name));
                known = version;
            }
            Err(error) => {
                let actual = actual_version(&error, known);
                assert!(
                    actual > known,
                    "a conflict at {known} reports {actual}: {error}"
                );
                known = actual;
            }
        }
    }
    accepted
}

/// A `userChanged` listener on one user, live from the read side's current position.
async fn listen_to_user(app: &TestApp, user_id: &str) -> WsClient {
    let variables = json!({ "userId": user_id, "after": app.read_position().await });
    let query = user_changed("event position user { name version }");
    WsClient::subscribed(app, Some(&app.admin), &query, variables).await
}

async fn writers_that_retry_on_conflict_all_land_once_each_with_consecutive_versions(app: TestApp) {
    let (_, user_id) = one_user(&app).await;
    const WRITERS: usize = 8;
    const RENAMES_EACH: usize = 3;

    // One rename before the race: once it arrives, the listener is live, so every change
    // of the race arrives with its own state.
    let mut listener = listen_to_user(&app, &user_id).await;
    let start = rename(&app, &user_id, 1, "Ready")
        .await
        .expect("the first rename");
    assert_eq!(
        listener.next_change("userChanged").await["user"],
        json!({ "name": "Ready", "version": start })
    );

    let writers = (0..WRITERS)
        .map(|writer| rename_until_accepted(&app, &user_id, start, writer, RENAMES_EACH));
    let mut accepted: Vec<(i64, String)> = join_all(writers).await.into_iter().flatten().collect();
    accepted.sort();

    let versions: Vec<i64> = accepted.iter().map(|(version, _)| *version).collect();
    let expected: Vec<i64> = (start + 1..).take(WRITERS * RENAMES_EACH).collect();
    assert_eq!(
        versions, expected,
        "every version after {start} is taken exactly once"
    );
    let (last_version, last_name) = accepted.last().expect("accepted renames");
    let accepted_commands = 1 + accepted.len(); // "Ready", then the race
    assert_eq!(
        *last_version,
        1 + accepted_commands as i64,
        "versions start at 1 and grow by 1 per accepted command"
    );
    assert_eq!(
        projected_user(&app, &user_id).await,
        json!({ "name": last_name, "version": last_version }),
        "the read side holds the last accepted rename"
    );

    // Subscribers see the race in version order, each change with the state it made.
    let mut positions = HashSet::new();
    for (version, name) in &accepted {
        let change = listener.next_change("userChanged").await;
        assert_eq!(change["event"], "UserRenamed", "{change}");
        assert_eq!(
            change["user"],
            json!({ "name": name, "version": version }),
            "changes out of order"
        );
        assert!(
            positions.insert(change["position"].clone()),
            "a position repeats: {change}"
        );
    }
}

/// Of `outcomes` racing for one unique key, exactly one wins; the others are
/// `ALREADY_EXISTS` on `field`. Returns the winner's index.
fn exactly_one_takes_the_key(outcomes: &[Result<Value, Value>], field: &str) -> usize {
    let winners: Vec<usize> = (0..outcomes.len())
        .filter(|index| outcomes[*index].is_ok())
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "exactly one may take the {field}: {outcomes:?}"
    );
    for error in outcomes.iter().filter_map(|outcome| outcome.as_ref().err()) {
        assert_eq!(
            code(error),
            "ALREADY_EXISTS",
            "a lost race for the {field}: {error}"
        );
        assert_eq!(error["extensions"]["field"], field, "{error}");
    }
    winners[0]
}

async fn of_many_signups_with_one_email_exactly_one_creates_a_user(app: TestApp) {
    let organization = app.create_organization("acme", "Acme").await;
    let organization_id = organization["organizationId"].as_str().expect("an id");

    // The same address, as users type it: the key is the normalized email.
    let emails = [
        "grace@example.com",
        " Grace@Example.com",
        "GRACE@EXAMPLE.COM ",
    ];
    let signups: Vec<(String, String)> = (0..RACERS)
        .map(|racer| {
            (
                emails[racer % emails.len()].to_owned(),
                format!("Grace {racer}"),
            )
        })
        .collect();
    let outcomes = join_all(
        signups
            .iter()
            .map(|(email, name)| create_user(&app, organization_id, email, name)),
    )
    .await;
    let winner = exactly_one_takes_the_key(&outcomes, "email");

    let (counts, users) = projected_members(&app, organization_id).await;
    assert_eq!(counts, json!({ "memberCount": 1, "activeMemberCount": 1 }));
    assert_eq!(users["totalCount"], 1, "{users}");
    assert_eq!(
        users["nodes"],
        json!([{ "email": "grace@example.com", "name": signups[winner].1 }])
    );
}

async fn of_many_organizations_with_one_slug_exactly_one_is_created(app: TestApp) {
    let names: Vec<String> = (0..RACERS).map(|racer| format!("Acme {racer}")).collect();
    let outcomes = join_all(names.iter().map(|name| {
        let input = json!({ "slug": "acme", "name": name });
        app.try_mutate("createOrganization", input, "version")
    }))
    .await;
    let winner = exactly_one_takes_the_key(&outcomes, "slug");

    app.settle().await;
    let body = app
        .gql(
            "{ organizations { totalCount nodes { slug name } } }",
            json!({}),
        )
        .await;
    assert_no_errors(&body);
    assert_eq!(body["data"]["organizations"]["totalCount"], 1, "{body}");
    assert_eq!(
        body["data"]["organizations"]["nodes"],
        json!([{ "slug": "acme", "name": names[winner] }])
    );
}

async fn many_concurrent_signups_in_one_organization_all_land_and_are_all_counted(app: TestApp) {
    let organization = app.create_organization("acme", "Acme").await;
    let organization_id = organization["organizationId"].as_str().expect("an id");

    let emails: Vec<String> = (0..RACERS)
        .map(|racer| format!("user{racer}@example.com"))
        .collect();
    let outcomes = join_all(
        emails
            .iter()
            .map(|email| create_user(&app, organization_id, email, email)),
    )
    .await;
    for outcome in &outcomes {
        let payload = outcome
            .as_ref()
            .unwrap_or_else(|error| panic!("a signup failed ({}): {error}", code(error)));
        assert_eq!(payload["version"], 1, "{payload}");
    }

    let (counts, users) = projected_members(&app, organization_id).await;
    assert_eq!(
        counts,
        json!({ "memberCount": RACERS, "activeMemberCount": RACERS })
    );
    assert_eq!(users["totalCount"], RACERS, "{users}");
    let mut listed: Vec<String> = users["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|node| node["email"].as_str().expect("an email").to_owned())
        .collect();
    listed.sort();
    let mut expected = emails;
    expected.sort();
    assert_eq!(listed, expected);
}

/// Renames of one user that lose the race at the guarded write: the rename loads version 1
/// (a rival's uncommitted update is invisible to it), passes the version check, and blocks
/// in its `UPDATE … WHERE version = 1` on the rival's row lock; once the rival commits
/// version 2, the update changes no row and the rename must be a `VERSION_CONFLICT` at
/// version 2, not an accepted rename on top of a version it never saw.
async fn a_rename_that_loses_the_race_at_its_guarded_write_is_a_version_conflict(app: TestApp) {
    let (_, user_id) = one_user(&app).await;
    let url = app.database().url.clone();
    let rival_connection = Database::connect(&url).await.expect("a connection");
    let observer = Database::connect(&url).await.expect("a connection");
    let rival = rival_connection.begin().await.expect("a transaction");
    let id = Uuid::parse_str(&user_id).expect("a uuid");
    let updated = rival
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE users SET version = 2 WHERE id = $1",
            [id.into()],
        ))
        .await
        .expect("the rival's update");
    assert_eq!(updated.rows_affected(), 1);

    let request = rename(&app, &user_id, 1, "Loser");
    let mut request = std::pin::pin!(request);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let waiting = observer
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT count(*) AS waiting FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
            ))
            .await
            .expect("pg_stat_activity")
            .expect("a row")
            .try_get::<i64>("", "waiting")
            .expect("a count");
        if waiting > 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the rename never blocked on the rival's row lock"
        );
        // Drive the request meanwhile; it must not answer while the rival holds the row.
        if let Ok(outcome) = tokio::time::timeout(Duration::from_millis(10), &mut request).await {
            panic!("the rename answered before the rival committed: {outcome:?}");
        }
    }
    rival.commit().await.expect("the rival commits");

    let error = request
        .await
        .expect_err("a rename at a version that is gone must not be accepted");
    assert_eq!(actual_version(&error, 1), 2, "{error}");
    // Nothing of the loser was recorded.
    assert_eq!(
        projected_user(&app, &user_id).await,
        json!({ "name": "Ada Lovelace", "version": 1 }),
        "the read side only ever saw version 1"
    );
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        of_many_renames_at_the_same_version_exactly_one_is_accepted,
        writers_that_retry_on_conflict_all_land_once_each_with_consecutive_versions,
        of_many_signups_with_one_email_exactly_one_creates_a_user,
        of_many_organizations_with_one_slug_exactly_one_is_created,
        many_concurrent_signups_in_one_organization_all_land_and_are_all_counted,
    )
    .into_iter()
    .chain(on_postgres!(
        a_rename_that_loses_the_race_at_its_guarded_write_is_a_version_conflict,
    ))
    .collect()
}
