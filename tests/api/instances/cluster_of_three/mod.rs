//! Issue 7's proof: three `rosterql serve` processes on one Postgres database. Writes go to
//! all three; after each acknowledged write a read under its consistency token goes to
//! another instance; every instance has an unfiltered `userChanged` listener; the leader is
//! killed -9 and restarted, then a follower. Afterwards: no read under a token was stale,
//! every listener received every user change of the log exactly once and in order (resuming
//! with `after` across its instance's restart), the instances agree, and the read tables
//! equal a rebuild from the event log, row by row.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use libtest_mimic::Trial;
use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, FromQueryResult, JsonValue, Statement,
};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::support::{
    Backend, Cluster, ClusterView, Endpoint, FollowingListener, ListenerRecord, SeenChange,
    TestDatabase, assert_no_errors, on_postgres, run_rosterql, text, without_database,
};

const NAMES: [&str; 3] = ["a", "b", "c"];
/// A dead leader is replaced within about this long.
const LEADER_RETRY: &str = "300ms";
/// How long a kill -9'd leader may go unreplaced.
const TAKEOVER_BOUND: Duration = Duration::from_secs(5);
const ORGANIZATIONS: usize = 3;
const USERS_PER_ORGANIZATION: usize = 4;
/// Tasks renaming users, each writing to the instances in turn.
const USER_WRITERS: usize = 6;
/// The load: before the leader's kill, while an instance is down, between the two kills,
/// after the second restart (about 20 s in all).
const BEFORE_FIRST_KILL: Duration = Duration::from_secs(5);
const DOWN: Duration = Duration::from_millis(1500);
const BETWEEN_KILLS: Duration = Duration::from_secs(5);
const AFTER_LAST_RESTART: Duration = Duration::from_secs(5);
/// How long the instances and listeners may take to catch up once the load stops.
const CATCH_UP: Duration = Duration::from_secs(30);
/// Log lines per process shown with a failure.
const LOG_TAIL: usize = 60;

const READ_MODEL: &str = "{ readModel { position headPosition lagEvents instance leader } }";
const RENAME_USER: &str = "mutation($input: RenameUserInput!) {
    renameUser(input: $input) { userId version consistencyToken } }";
const RENAME_ORGANIZATION: &str = "mutation($input: RenameOrganizationInput!) {
    renameOrganization(input: $input) { organizationId version consistencyToken } }";
const USER: &str = "query($id: ID!) {
    user(id: $id) { id name email role status version organization { id slug name } updatedAt } }";
const ORGANIZATION: &str = "query($id: ID!) {
    organization(id: $id) { id slug name memberCount activeMemberCount version updatedAt } }";

/// A user the load renames.
struct SeededUser {
    id: String,
    organization: usize,
}

/// A rename an instance acknowledged.
struct Acknowledged {
    user_id: String,
    version: i64,
    at: Instant,
}

/// What the load did, and every way it saw the cluster fail.
#[derive(Default)]
struct Tally {
    acknowledged: Vec<Acknowledged>,
    organization_renames: u64,
    conflicts: u64,
    /// Requests to an instance killed while they were in flight: not acknowledged.
    lost_to_kills: u64,
    token_reads: u64,
    warm_reads: u64,
    failures: Vec<String>,
}

/// What the load's tasks share.
struct Load {
    view: ClusterView,
    users: Vec<SeededUser>,
    organizations: Vec<String>,
    /// The latest version of each user the writers know of.
    versions: Mutex<Vec<i64>>,
    stopping: AtomicBool,
    tally: Mutex<Tally>,
}

/// An answer from one instance.
enum Answer {
    Data(Value),
    /// The first error of a refused request.
    Refused(Value),
    /// No GraphQL answer at all (a reset connection, a timeout, …).
    Failed(String),
}

impl Load {
    fn running(&self) -> bool {
        !self.stopping.load(Ordering::Relaxed)
    }

    fn version(&self, user: usize) -> i64 {
        self.versions.lock().expect("the versions")[user]
    }

    fn saw_version(&self, user: usize, version: i64) {
        let mut versions = self.versions.lock().expect("the versions");
        versions[user] = versions[user].max(version);
    }

    fn tally(&self, update: impl FnOnce(&mut Tally)) {
        update(&mut self.tally.lock().expect("the tally"));
    }

    /// Asks the instance at `endpoint`.
    async fn ask(
        &self,
        endpoint: &Endpoint,
        headers: &[(&str, &str)],
        query: &str,
        variables: Value,
    ) -> Answer {
        match self.view.graphql(endpoint, headers, query, variables).await {
            Err(why) => Answer::Failed(why),
            Ok(body) => match body.get("errors") {
                Some(errors) => Answer::Refused(errors[0].clone()),
                None => Answer::Data(body["data"].clone()),
            },
        }
    }

    /// A request to instance `index` (up at `generation`) got no good answer: excused when
    /// the instance was killed meanwhile (then true: the command may or may not have
    /// committed), else a failure (naming the exit status if its process went away).
    fn failed(&self, index: usize, generation: u64, what: String) -> bool {
        let killed = self.view.moved_since(index, generation);
        self.tally(|tally| {
            if killed {
                tally.lost_to_kills += 1;
            } else {
                tally
                    .failures
                    .push(format!("{}: {what}", self.view.up_or_exited(index)));
            }
        });
        killed
    }
}

fn code(error: &Value) -> &str {
    error["extensions"]["code"].as_str().unwrap_or("(no code)")
}

/// Renames users through the instances in turn, and after each acknowledged rename reads the
/// user under its token on another instance. Writers at the same round rename different
/// users; as they drift apart, some race for one (a conflict is answered with the actual
/// version, which the next attempt expects).
async fn rename_users(load: Arc<Load>, writer: usize) {
    let mut round = 0;
    while load.running() {
        round += 1;
        let user = (writer * 2 + round) % load.users.len();
        let Some((index, state)) = load.view.pick(writer + round, None) else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let endpoint = state.endpoint.expect("a picked instance is up");
        let expected = load.version(user);
        let name = format!("User {user} w{writer} r{round}");
        let id = &load.users[user].id;
        let input = json!({ "id": id, "expectedVersion": expected, "name": name });
        let answer = load
            .ask(&endpoint, &[], RENAME_USER, json!({ "input": input }))
            .await;
        match answer {
            Answer::Data(data) => {
                let payload = &data["renameUser"];
                let version = payload["version"].as_i64().unwrap_or_default();
                if version != expected + 1 {
                    load.tally(|tally| {
                        tally.failures.push(format!(
                            "renameUser at version {expected} answered version {version}: {payload}"
                        ));
                    });
                    continue;
                }
                load.saw_version(user, version);
                load.tally(|tally| {
                    tally.acknowledged.push(Acknowledged {
                        user_id: id.clone(),
                        version,
                        at: Instant::now(),
                    });
                });
                let token = text(&payload["consistencyToken"]);
                read_under_token(&load, index, user, &token, |user| {
                    let read = user["version"].as_i64().unwrap_or_default();
                    if read < version {
                        return Some(format!(
                            "a STALE user: version {read} < acknowledged {version}"
                        ));
                    }
                    (read == version && user["name"] != name.as_str()).then(|| {
                        format!("version {version} but not the name {name:?} it was given")
                    })
                })
                .await;
            }
            Answer::Refused(error) if code(&error) == "VERSION_CONFLICT" => {
                let actual = error["extensions"]["actualVersion"].as_i64();
                match actual {
                    Some(actual) => {
                        load.saw_version(user, actual);
                        load.tally(|tally| tally.conflicts += 1);
                    }
                    None => load.tally(|tally| {
                        tally
                            .failures
                            .push(format!("a conflict without actualVersion: {error}"));
                    }),
                }
            }
            Answer::Refused(error) => {
                load.failed(
                    index,
                    state.generation,
                    format!("renameUser refused: {error}"),
                );
            }
            Answer::Failed(why) => {
                load.failed(index, state.generation, format!("renameUser failed: {why}"));
            }
        }
    }
}

/// Renames the organizations in turn (which rewrites their members' read rows and must
/// invalidate their cached profiles everywhere), reading a member under the token on another
/// instance after each. Alone in renaming them: its names count up (`r<n>`), and it conflicts
/// only after a rename whose instance was killed before it answered (and that committed).
async fn rename_organizations(load: Arc<Load>) {
    let mut versions = vec![1; load.organizations.len()];
    let mut unanswered = vec![false; load.organizations.len()];
    let mut round = 0;
    while load.running() {
        round += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let organization = round % load.organizations.len();
        let Some((index, state)) = load.view.pick(round, None) else {
            continue;
        };
        let endpoint = state.endpoint.expect("a picked instance is up");
        let name = format!("Org {organization} r{round}");
        let input = json!({
            "id": load.organizations[organization],
            "expectedVersion": versions[organization],
            "name": name,
        });
        let answer = load
            .ask(
                &endpoint,
                &[],
                RENAME_ORGANIZATION,
                json!({ "input": input }),
            )
            .await;
        match answer {
            Answer::Data(data) => {
                let payload = &data["renameOrganization"];
                versions[organization] = payload["version"].as_i64().unwrap_or_default();
                unanswered[organization] = false;
                load.tally(|tally| tally.organization_renames += 1);
                let token = text(&payload["consistencyToken"]);
                let member = organization * USERS_PER_ORGANIZATION + round % USERS_PER_ORGANIZATION;
                read_under_token(&load, index, member, &token, |user| {
                    let seen = user["organization"]["name"].as_str().unwrap_or_default();
                    let seen_round = seen
                        .rsplit_once(" r")
                        .and_then(|(_, round)| round.parse::<usize>().ok());
                    (seen_round < Some(round)).then(|| {
                        format!("a STALE organization name in a member's profile: {seen:?}, acknowledged {name:?}")
                    })
                })
                .await;
            }
            Answer::Refused(error) if code(&error) == "VERSION_CONFLICT" => {
                let actual = error["extensions"]["actualVersion"].as_i64();
                match actual {
                    Some(actual) if unanswered[organization] => {
                        versions[organization] = actual;
                        unanswered[organization] = false;
                        load.tally(|tally| tally.conflicts += 1);
                    }
                    _ => load.tally(|tally| {
                        tally.failures.push(format!(
                            "the only organization writer conflicted with every rename answered: {error}"
                        ));
                    }),
                }
            }
            Answer::Refused(error) => {
                let what = format!("renameOrganization refused: {error}");
                unanswered[organization] |= load.failed(index, state.generation, what);
            }
            Answer::Failed(why) => {
                let what = format!("renameOrganization failed: {why}");
                unanswered[organization] |= load.failed(index, state.generation, what);
            }
        }
    }
}

/// Reads user `user` with `X-Consistency-Token: token` on an instance other than
/// `written_on`; `stale` says what is wrong with the user read, if anything.
async fn read_under_token(
    load: &Load,
    written_on: usize,
    user: usize,
    token: &str,
    stale: impl FnOnce(&Value) -> Option<String>,
) {
    let Some((index, state)) = load.view.pick(written_on + 1 + user % 2, Some(written_on)) else {
        return;
    };
    let endpoint = state.endpoint.expect("a picked instance is up");
    let id = &load.users[user].id;
    let headers = [("X-Consistency-Token", token)];
    let answer = load
        .ask(&endpoint, &headers, USER, json!({ "id": id }))
        .await;
    match answer {
        Answer::Data(data) => {
            let user = &data["user"];
            let problem = if user.is_object() {
                stale(user)
            } else {
                Some("no such user".to_owned())
            };
            load.tally(|tally| {
                tally.token_reads += 1;
                if let Some(problem) = problem {
                    tally.failures.push(format!(
                        "user(id: {id}) on {} under token {token} (written on {}): {problem}: {user}",
                        load.view.name(index),
                        load.view.name(written_on)
                    ));
                }
            });
        }
        Answer::Refused(error) => {
            let what = format!("user(id) under token {token}: {error}");
            load.failed(index, state.generation, what);
        }
        Answer::Failed(why) => {
            let what = format!("user(id) under token {token}: {why}");
            load.failed(index, state.generation, what);
        }
    }
}

/// Reads the users on instance `index` over and over without a token, so that its cache
/// holds them when the next write makes them stale.
async fn warm(load: Arc<Load>, index: usize) {
    let mut round = 0;
    while load.running() {
        round += 1;
        let state = load.view.state(index);
        let Some(endpoint) = state.endpoint else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let id = &load.users[round % load.users.len()].id;
        let query = "query($id: ID!) { user(id: $id) { version } }";
        let problem = match load.ask(&endpoint, &[], query, json!({ "id": id })).await {
            Answer::Data(data) if data["user"].is_object() => None,
            Answer::Data(data) => Some(format!("no user {id}: {data}")),
            Answer::Refused(error) => Some(format!("user(id): {error}")),
            Answer::Failed(why) => Some(format!("user(id): {why}")),
        };
        match problem {
            None => load.tally(|tally| tally.warm_reads += 1),
            Some(problem) => {
                load.failed(index, state.generation, problem);
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Every instance's `readModel`, or why one did not answer.
async fn read_models(view: &ClusterView) -> Result<Vec<Value>, String> {
    let mut models = Vec::new();
    for index in 0..view.len() {
        let endpoint = view
            .state(index)
            .endpoint
            .ok_or_else(|| format!("{} is down", view.name(index)))?;
        let body = view
            .graphql(&endpoint, &[], READ_MODEL, json!({}))
            .await
            .map_err(|why| format!("{}: {why}", view.up_or_exited(index)))?;
        if body.get("errors").is_some() {
            return Err(format!("{}: {body}", view.name(index)));
        }
        models.push(body["data"]["readModel"].clone());
    }
    Ok(models)
}

/// Asks every instance's `readModel` until `settled` finds in them what it waits for, and
/// returns that; fails the test with `never` after [`CATCH_UP`].
async fn until_read_models<T>(
    cluster: &Cluster,
    never: &str,
    settled: impl Fn(&[Value]) -> Option<T>,
) -> T {
    let view = cluster.view();
    let deadline = Instant::now() + CATCH_UP;
    let mut last = Err("not asked yet".to_owned());
    while Instant::now() < deadline {
        last = read_models(&view).await;
        if let Some(found) = last.as_deref().ok().and_then(&settled) {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{never}: {last:?}\n{}", cluster.logs(LOG_TAIL));
}

/// Waits until every instance names itself, and all name one and the same leader among
/// them; returns the leader's index.
async fn one_leader(cluster: &Cluster) -> usize {
    let view = cluster.view();
    let never = format!("the instances never agreed on one leader among {NAMES:?}");
    until_read_models(cluster, &never, |models| {
        for (index, model) in models.iter().enumerate() {
            assert_eq!(
                model["instance"],
                view.name(index),
                "readModel.instance: {model}"
            );
        }
        let leader = models[0]["leader"].as_str().unwrap_or_default();
        let agreed = models.iter().all(|model| model["leader"] == leader);
        NAMES
            .iter()
            .position(|name| *name == leader)
            .filter(|_| agreed)
    })
    .await
}

/// After one leader: `rosterql_projector_leader` is 1 on it and 0 on the others.
async fn assert_leader_gauges(cluster: &Cluster, leader: usize) {
    for (index, name) in NAMES.iter().enumerate() {
        let gauge = cluster
            .app(index)
            .counter("rosterql_projector_leader", &[])
            .await;
        let expected = if index == leader { 1.0 } else { 0.0 };
        assert_eq!(
            gauge, expected,
            "rosterql_projector_leader on {name} (the leader is {})",
            NAMES[leader]
        );
    }
}

/// How long, after the kill of `killed` (the leader), until a survivor's `readModel.leader`
/// names a live instance, and until all survivors name the same one.
async fn takeover(cluster: &Cluster, killed: usize, since: Instant) -> (Duration, Duration, usize) {
    let view = cluster.view();
    let survivors: Vec<usize> = (0..NAMES.len()).filter(|index| *index != killed).collect();
    let mut first = None;
    let mut named = Vec::new();
    while since.elapsed() < TAKEOVER_BOUND {
        named.clear();
        for &index in &survivors {
            let Some(endpoint) = view.state(index).endpoint else {
                continue;
            };
            let leader = match view.graphql(&endpoint, &[], READ_MODEL, json!({})).await {
                Ok(body) => body["data"]["readModel"]["leader"].clone(),
                Err(why) => json!(format!("{}: {why}", view.up_or_exited(index))),
            };
            named.push(leader);
        }
        let live: Vec<usize> = named
            .iter()
            .filter_map(|leader| {
                survivors
                    .iter()
                    .copied()
                    .find(|index| *leader == NAMES[*index])
            })
            .collect();
        if first.is_none() && !live.is_empty() {
            first = Some(since.elapsed());
        }
        if live.len() == survivors.len() && live.iter().all(|leader| *leader == live[0]) {
            return (first.unwrap_or_default(), since.elapsed(), live[0]);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "{TAKEOVER_BOUND:?} after the kill -9 of the leader {}, the survivors name {named:?}\n{}",
        NAMES[killed],
        cluster.logs(LOG_TAIL)
    );
}

/// Waits until all instances report one position, equal to the head of the log; returns it.
async fn converged(cluster: &Cluster) -> String {
    let never = "the instances never caught up with the log together";
    until_read_models(cluster, never, |models| {
        let head = &models[0]["headPosition"];
        models
            .iter()
            .all(|model| {
                model["position"] == *head
                    && model["headPosition"] == *head
                    && model["lagEvents"] == 0
            })
            .then(|| text(head))
    })
    .await
}

/// `field` of the answer to `query` from every instance, without a token; each must answer
/// without errors.
async fn on_every_instance(
    view: &ClusterView,
    query: &str,
    variables: Value,
    field: &str,
) -> Vec<Value> {
    let mut answers = Vec::new();
    for index in 0..view.len() {
        let endpoint = view.state(index).endpoint.expect("every instance is up");
        let body = view
            .graphql(&endpoint, &[], query, variables.clone())
            .await
            .unwrap_or_else(|why| panic!("{field} on {}: {why}", view.up_or_exited(index)));
        assert_no_errors(&body);
        answers.push(body["data"][field].clone());
    }
    answers
}

/// `"<tx>.<seq>"` as the pair it orders by.
fn order_key(position: &str) -> (i64, i64) {
    position
        .split_once('.')
        .and_then(|(tx, seq)| Some((tx.parse().ok()?, seq.parse().ok()?)))
        .unwrap_or_else(|| panic!("not a position: {position:?}"))
}

/// One event of the log.
struct LoggedEvent {
    position: String,
    aggregate_type: String,
    aggregate_id: String,
    version: i64,
    event_type: String,
}

/// The event log in its order, `(tx_id, position)`, read from the command tables.
async fn event_log(db: &DatabaseConnection) -> Vec<LoggedEvent> {
    let statement = Statement::from_string(
        db.get_database_backend(),
        "SELECT tx_id::text::bigint AS tx, position AS seq, aggregate_type,
                aggregate_id::text AS aggregate_id, aggregate_version, event_type
         FROM events ORDER BY tx_id, position",
    );
    db.query_all_raw(statement)
        .await
        .expect("reading the event log")
        .into_iter()
        .map(|row| {
            let tx: i64 = row.try_get("", "tx").expect("tx");
            let seq: i64 = row.try_get("", "seq").expect("seq");
            LoggedEvent {
                position: format!("{tx}.{seq}"),
                aggregate_type: row.try_get("", "aggregate_type").expect("aggregate_type"),
                aggregate_id: row.try_get("", "aggregate_id").expect("aggregate_id"),
                version: i64::from(
                    row.try_get::<i32>("", "aggregate_version")
                        .expect("aggregate_version"),
                ),
                event_type: row.try_get("", "event_type").expect("event_type"),
            }
        })
        .collect()
}

/// Adds `<how many> <what>, e.g. <the first five>` to `problems` when `found` is not empty.
fn note<T: std::fmt::Debug>(problems: &mut Vec<String>, found: &[T], what: &str) {
    if !found.is_empty() {
        problems.push(format!(
            "{} {what}, e.g. {:?}",
            found.len(),
            &found[..found.len().min(5)]
        ));
    }
}

/// What is wrong with what a listener received, against the log's user changes in order.
fn listener_problems(name: &str, record: &ListenerRecord, expected: &[SeenChange]) -> Vec<String> {
    let seen = &record.seen;
    let mut problems: Vec<String> = record.failures.clone();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for change in seen {
        *counts.entry(change.position.as_str()).or_default() += 1;
    }
    let duplicates: Vec<_> = counts.iter().filter(|(_, count)| **count > 1).collect();
    note(
        &mut problems,
        &duplicates,
        "positions received more than once",
    );
    let logged: HashSet<&str> = expected
        .iter()
        .map(|change| change.position.as_str())
        .collect();
    let missing: Vec<&str> = expected
        .iter()
        .map(|change| change.position.as_str())
        .filter(|position| !counts.contains_key(position))
        .collect();
    note(&mut problems, &missing, "changes never received");
    let unknown: Vec<&str> = seen
        .iter()
        .map(|change| change.position.as_str())
        .filter(|position| !logged.contains(position))
        .collect();
    note(
        &mut problems,
        &unknown,
        "changes not in the log's user changes",
    );
    if let Some(at) = seen
        .windows(2)
        .position(|pair| order_key(&pair[0].position) >= order_key(&pair[1].position))
    {
        problems.push(format!(
            "out of order at {at}: {:?} then {:?}",
            seen[at],
            seen[at + 1]
        ));
    }
    if problems.is_empty() && seen != expected {
        let at = seen
            .iter()
            .zip(expected)
            .position(|(seen, logged)| seen != logged);
        problems.push(format!("a change differs from the log at {at:?}"));
    }
    problems
        .into_iter()
        .map(|problem| {
            format!(
                "listener on {name} ({} received, {} subscriptions): {problem}",
                seen.len(),
                record.subscriptions
            )
        })
        .collect()
}

/// Every row of `table`, by id, every column.
async fn rows(db: &DatabaseConnection, table: &str) -> Vec<JsonValue> {
    select(db, &format!("SELECT * FROM {table} ORDER BY id")).await
}

/// The rows `sql` selects, each as a JSON object.
async fn select(db: &DatabaseConnection, sql: &str) -> Vec<JsonValue> {
    let statement = Statement::from_string(db.get_database_backend(), sql);
    JsonValue::find_by_statement(statement)
        .all(db)
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"))
}

/// Compares `table` row by row between the live read side and the rebuilt one; returns the
/// rows compared.
async fn assert_same_rows(
    live: &DatabaseConnection,
    rebuilt: &DatabaseConnection,
    table: &str,
) -> usize {
    let (live_rows, rebuilt_rows) = (rows(live, table).await, rows(rebuilt, table).await);
    let rebuilt_by_id: HashMap<String, &JsonValue> = rebuilt_rows
        .iter()
        .map(|row| (row["id"].to_string(), row))
        .collect();
    let differing: Vec<String> = live_rows
        .iter()
        .filter(|row| rebuilt_by_id.get(&row["id"].to_string()) != Some(row))
        .take(5)
        .map(|row| {
            format!(
                "live {row}\n  rebuilt {:?}",
                rebuilt_by_id.get(&row["id"].to_string())
            )
        })
        .collect();
    assert!(
        differing.is_empty() && live_rows.len() == rebuilt_rows.len(),
        "{table}: {} live rows, {} rebuilt; rows that differ:\n{}",
        live_rows.len(),
        rebuilt_rows.len(),
        differing.join("\n")
    );
    live_rows.len()
}

async fn three_instances_on_one_database_survive_kill_9_of_the_leader_and_of_a_follower_under_load(
    database: TestDatabase,
) {
    let env = [
        ("ROSTERQL_LEADER_RETRY", LEADER_RETRY),
        // Not the bound under test: a read under a token that times out is still a failure.
        ("ROSTERQL_CONSISTENCY_TIMEOUT", "10s"),
    ];
    let mut cluster = Cluster::start(&database.url, &NAMES, &env).await;
    let view = cluster.view();
    let first_leader = one_leader(&cluster).await;
    assert_leader_gauges(&cluster, first_leader).await;

    // Seed: each organization and user created through another instance.
    let mut organizations = Vec::new();
    for organization in 0..ORGANIZATIONS {
        let app = cluster.app(organization % NAMES.len());
        let created = app
            .create_organization(
                &format!("org-{organization}"),
                &format!("Org {organization} r0"),
            )
            .await;
        organizations.push(text(&created["organizationId"]));
    }
    let mut users = Vec::new();
    for user in 0..ORGANIZATIONS * USERS_PER_ORGANIZATION {
        let organization = user / USERS_PER_ORGANIZATION;
        let app = cluster.app(user % NAMES.len());
        let created = app
            .create_user(
                &organizations[organization],
                &format!("user{user}@example.com"),
                &format!("User {user}"),
            )
            .await;
        users.push(SeededUser {
            id: text(&created["userId"]),
            organization,
        });
    }
    let start = converged(&cluster).await;

    let listeners: Vec<FollowingListener> = (0..NAMES.len())
        .map(|index| FollowingListener::start(view.clone(), index, start.clone()))
        .collect();
    let load = Arc::new(Load {
        view: view.clone(),
        versions: Mutex::new(vec![1; users.len()]),
        users,
        organizations,
        stopping: AtomicBool::new(false),
        tally: Mutex::new(Tally::default()),
    });
    let mut tasks = Vec::new();
    for writer in 0..USER_WRITERS {
        tasks.push(tokio::spawn(rename_users(load.clone(), writer)));
    }
    tasks.push(tokio::spawn(rename_organizations(load.clone())));
    for index in 0..NAMES.len() {
        tasks.push(tokio::spawn(warm(load.clone(), index)));
    }

    // The leader, kill -9'd under load, then restarted.
    tokio::time::sleep(BEFORE_FIRST_KILL).await;
    let leader = one_leader(&cluster).await;
    let leader_killed_at = Instant::now();
    cluster.kill(leader);
    let (takeover_first, takeover_agreed, new_leader) =
        takeover(&cluster, leader, leader_killed_at).await;
    eprintln!(
        "takeover after kill -9 of leader {}: {} ms until a survivor named a live leader, {} ms until both named {}",
        NAMES[leader],
        takeover_first.as_millis(),
        takeover_agreed.as_millis(),
        NAMES[new_leader]
    );
    tokio::time::sleep(DOWN.saturating_sub(leader_killed_at.elapsed())).await;
    cluster.restart(leader).await;
    let leader_restarted_at = Instant::now();

    // A follower, kill -9'd under load, then restarted.
    tokio::time::sleep(BETWEEN_KILLS).await;
    // A follower that was not killed yet, when the lead went to one of the two survivors.
    let leader_now = one_leader(&cluster).await;
    let follower = (0..NAMES.len())
        .find(|index| *index != leader_now && *index != leader)
        .expect("three instances");
    let follower_killed_at = Instant::now();
    cluster.kill(follower);
    tokio::time::sleep(DOWN).await;
    cluster.restart(follower).await;
    let follower_restarted_at = Instant::now();
    tokio::time::sleep(AFTER_LAST_RESTART).await;

    load.stopping.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.expect("a load task");
    }
    let tally = std::mem::take(&mut *load.tally.lock().expect("the tally"));
    assert!(
        tally.failures.is_empty(),
        "{} failures under load (no stale read under a token, no error from an instance that was up), e.g.:\n{}\n{}",
        tally.failures.len(),
        tally.failures[..tally.failures.len().min(20)].join("\n"),
        cluster.logs(LOG_TAIL)
    );
    for (what, from, to) in [
        ("the leader was down", leader_killed_at, leader_restarted_at),
        (
            "the follower was down",
            follower_killed_at,
            follower_restarted_at,
        ),
    ] {
        let during = tally
            .acknowledged
            .iter()
            .filter(|write| write.at > from && write.at < to)
            .count();
        assert!(during > 0, "no write was acknowledged while {what}");
    }
    assert!(
        tally.token_reads > 100,
        "only {} reads under a token",
        tally.token_reads
    );

    // Everyone catches up: the same position, the head of the log.
    let end = converged(&cluster).await;
    let final_leader = one_leader(&cluster).await;
    assert_leader_gauges(&cluster, final_leader).await;

    let db = Database::connect(&database.url)
        .await
        .expect("the database");
    let log = event_log(&db).await;
    assert_eq!(
        log.last().map(|event| event.position.as_str()),
        Some(end.as_str()),
        "the instances' position is the log's last event"
    );
    let start_key = order_key(&start);
    let user_changes: Vec<SeenChange> = log
        .iter()
        .filter(|event| event.aggregate_type == "user" && order_key(&event.position) > start_key)
        .map(|event| SeenChange {
            position: event.position.clone(),
            user_id: event.aggregate_id.clone(),
            event: event.event_type.clone(),
        })
        .collect();

    // Every acknowledged rename is in the log, after the start.
    let logged: HashSet<(&str, i64)> = log
        .iter()
        .filter(|event| event.event_type == "UserRenamed" && order_key(&event.position) > start_key)
        .map(|event| (event.aggregate_id.as_str(), event.version))
        .collect();
    let unlogged: Vec<_> = tally
        .acknowledged
        .iter()
        .filter(|write| !logged.contains(&(write.user_id.as_str(), write.version)))
        .map(|write| (&write.user_id, write.version))
        .collect();
    assert!(
        unlogged.is_empty(),
        "acknowledged renames missing from the log: {unlogged:?}"
    );

    // Every listener got every user change once, in order.
    let last_change = user_changes.last().map(|change| change.position.clone());
    let deadline = Instant::now() + CATCH_UP;
    while Instant::now() < deadline
        && listeners
            .iter()
            .any(|listener| listener.last_position() != last_change)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut records = Vec::new();
    for listener in listeners {
        records.push(listener.stop().await);
    }
    let problems: Vec<String> = records
        .iter()
        .zip(NAMES)
        .flat_map(|(record, name)| listener_problems(name, record, &user_changes))
        .collect();
    assert!(
        problems.is_empty(),
        "listeners against the log's {} user changes after {start}:\n{}\n{}",
        user_changes.len(),
        problems.join("\n"),
        cluster.logs(LOG_TAIL)
    );

    // The instances agree with each other and with the read tables.
    let live_users: HashMap<String, JsonValue> = rows(&db, "user_profiles")
        .await
        .into_iter()
        .map(|row| (text(&row["id"]), row))
        .collect();
    let mut users_compared = 0;
    for user in &load.users {
        let answers = on_every_instance(&view, USER, json!({ "id": user.id }), "user").await;
        for (index, answer) in answers.iter().enumerate() {
            assert_eq!(
                answer, &answers[0],
                "user {} on {} and on {}",
                user.id, NAMES[index], NAMES[0]
            );
        }
        let row = &live_users[&user.id];
        let answer = &answers[0];
        assert_eq!(
            (
                &answer["name"],
                &answer["version"],
                &answer["organization"]["name"]
            ),
            (&row["name"], &row["version"], &row["organization_name"]),
            "user {} served against its read row",
            user.id
        );
        let last_version = log
            .iter()
            .filter(|event| event.aggregate_id == user.id)
            .map(|event| event.version)
            .max();
        assert_eq!(
            answer["version"].as_i64(),
            last_version,
            "user {} against the log",
            user.id
        );
        assert_eq!(
            row["organization_id"],
            json!(load.organizations[user.organization])
        );
        users_compared += 1;
    }
    for organization in &load.organizations {
        let variables = json!({ "id": organization });
        let answers = on_every_instance(&view, ORGANIZATION, variables, "organization").await;
        assert!(
            answers[0].is_object(),
            "organization {organization}: {answers:?}"
        );
        assert!(
            answers.iter().all(|answer| *answer == answers[0]),
            "organization {organization}: {answers:?}"
        );
    }

    // The read tables equal a rebuild from the log into a database of their own.
    let rebuilt = TestDatabase::create(Backend::Postgres).await;
    run_rosterql(&database.url, Some(&rebuilt.url), &["rebuild-projections"]).await;
    let rebuilt_db = Database::connect(&rebuilt.url)
        .await
        .expect("the rebuilt database");
    // Every column: `updated_at` and `created_at` are the events' recorded times, not the
    // projection's, so nothing is left out.
    let rows_compared = assert_same_rows(&db, &rebuilt_db, "user_profiles").await
        + assert_same_rows(&db, &rebuilt_db, "organization_profiles").await;
    let checkpoint =
        "SELECT projector, tx, seq, log_identity FROM projector_checkpoints ORDER BY projector";
    assert_eq!(
        select(&db, checkpoint).await,
        select(&rebuilt_db, checkpoint).await,
        "the checkpoint: live, rebuilt"
    );

    let received: Vec<usize> = records.iter().map(|record| record.seen.len()).collect();
    let subscriptions: Vec<u32> = records.iter().map(|record| record.subscriptions).collect();
    eprintln!(
        "cluster of three: {} instances, {} kills -9 and {} restarts survived (leader {}, then follower {}); \
         takeover {} ms (agreed {} ms); {} user renames and {} organization renames acknowledged, \
         {} version conflicts, {} requests lost to kills; {} reads under a token, none stale; {} warm reads; \
         {} events in the log, {} user changes since the start, received by each listener {received:?} \
         over {subscriptions:?} subscriptions; {users_compared} users agreed on by all instances; \
         {rows_compared} read rows equal to a rebuild; leader at the end {}",
        NAMES.len(),
        cluster.kills,
        cluster.restarts,
        NAMES[leader],
        NAMES[follower],
        takeover_first.as_millis(),
        takeover_agreed.as_millis(),
        tally.acknowledged.len(),
        tally.organization_renames,
        tally.conflicts,
        tally.lost_to_kills,
        tally.token_reads,
        tally.warm_reads,
        log.len(),
        user_changes.len(),
        NAMES[final_leader],
    );
}

/// A listener's record of changes at `positions` (all renames of one user).
fn received(positions: &[&str]) -> ListenerRecord {
    ListenerRecord {
        seen: positions.iter().map(|position| renamed(position)).collect(),
        subscriptions: 1,
        failures: Vec::new(),
    }
}

fn renamed(position: &str) -> SeenChange {
    SeenChange {
        position: position.to_owned(),
        user_id: "user".to_owned(),
        event: "UserRenamed".to_owned(),
    }
}

/// The check of what a listener received fails on each way of getting it wrong, and
/// orders positions as the server does (by transaction, then sequence, as numbers).
fn the_listener_check_finds_duplicates_gaps_disorder_and_strangers() {
    let log: Vec<SeenChange> = ["9.5", "10.1", "10.2", "11.3"]
        .into_iter()
        .map(renamed)
        .collect();
    let problems = |positions: &[&str]| listener_problems("x", &received(positions), &log);
    assert_eq!(
        problems(&["9.5", "10.1", "10.2", "11.3"]),
        Vec::<String>::new()
    );
    let cases: [(&[&str], &str); 4] = [
        (&["9.5", "10.1", "10.1", "10.2", "11.3"], "more than once"),
        (&["9.5", "10.2", "11.3"], "never received"),
        (&["9.5", "10.2", "10.1", "11.3"], "out of order"),
        (&["9.5", "10.1", "10.2", "11.3", "12.1"], "not in the log"),
    ];
    for (positions, problem) in cases {
        let found = problems(positions);
        assert!(
            found.iter().any(|found| found.contains(problem)),
            "{positions:?}: {found:?}"
        );
    }
    let mut other_event = received(&["9.5", "10.1", "10.2", "11.3"]);
    other_event.seen[1].event = "UserSuspended".to_owned();
    assert_eq!(listener_problems("x", &other_event, &log).len(), 1);
    let mut ended = received(&["9.5", "10.1", "10.2", "11.3"]);
    ended.failures.push("the subscription ended".to_owned());
    assert_eq!(listener_problems("x", &ended, &log).len(), 1);
}

pub(super) fn trials() -> Vec<Trial> {
    let mut trials = on_postgres!(
        three_instances_on_one_database_survive_kill_9_of_the_leader_and_of_a_follower_under_load
    );
    trials.extend(without_database!(
        the_listener_check_finds_duplicates_gaps_disorder_and_strangers
    ));
    trials
}
