//! Postgres restarted under load, beneath two server processes: while it is down every
//! request fails fast with SERVICE_UNAVAILABLE (never a 500, a hang or a driver message)
//! and `/readyz` says the database is why; once it is back both instances recover by
//! themselves within seconds, they agree again on which of them leads the projector, and
//! every command that was acknowledged is in the event log and on both read sides.
//!
//! The cluster is the test's own ([`ThrowawayPostgres`]), stopped once as a crash would
//! (`-m immediate`) and once as an operator's restart would (`-m fast`). Every finding is
//! collected, so a failure lists all that went wrong, with the figures of the run.

mod load;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use libtest_mimic::Trial;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::{Value, json};
use tokio::time::Instant;

use self::load::{Ack, Attempt, Kind, Load, Node, prober, reader, writer};
use crate::support::throwaway_postgres::{self, Shutdown, ThrowawayPostgres};
use crate::support::{TestApp, assert_no_internal_detail, on_postgres, text};

/// `ROSTERQL_DATABASE_TIMEOUT` of both instances, and the slack a request gets beyond it
/// (scheduling on a busy machine, not a second wait for the database).
const DATABASE_TIMEOUT: &str = "1s";
const BOUND: Duration = Duration::from_secs(1);
const MARGIN: Duration = Duration::from_millis(500);
/// How long the load runs before Postgres stops, and how long Postgres stays down.
const LOAD_BEFORE: Duration = Duration::from_secs(2);
const OUTAGE: Duration = Duration::from_secs(4);
/// Each instance must serve again (ready, a write, a read of the read tables) this soon
/// after Postgres is back, and both must name the same leader.
const RECOVERY: Duration = Duration::from_secs(10);
/// The load goes on this long after both instances recovered.
const LOAD_AFTER: Duration = Duration::from_secs(1);
const WRITERS_PER_INSTANCE: usize = 3;
const INSTANCES: [&str; 2] = ["restart-a", "restart-b"];
/// What no error message may name.
const DRIVER_DETAIL: [&str; 6] = [
    "sql",
    "postgres",
    "pool",
    "connection",
    "terminat",
    "os error",
];
/// Findings shown in a failure's message (all are counted).
const SHOWN: usize = 25;

/// When Postgres went away and came back, as the test saw it.
#[derive(Debug, Clone, Copy)]
struct Timeline {
    /// `pg_ctl stop` was called.
    stop_requested: Instant,
    /// `pg_ctl stop` returned: the server is down.
    down: Instant,
    /// `pg_ctl start` was called.
    start_requested: Instant,
    /// `pg_ctl start` returned: the server accepts connections.
    up: Instant,
}

impl Timeline {
    /// The attempt's start relative to the stop, e.g. `-0.120s` or `+2.310s`.
    fn offset(&self, at: Instant) -> String {
        match at.checked_duration_since(self.stop_requested) {
            Some(after) => format!("+{:.3}s", after.as_secs_f64()),
            None => format!("-{:.3}s", (self.stop_requested - at).as_secs_f64()),
        }
    }

    fn show(&self, attempt: &Attempt) -> String {
        format!(
            "{:?} on {} at {} took {:?}: {:?} {:?} {}",
            attempt.kind,
            INSTANCES[attempt.instance],
            self.offset(attempt.started),
            attempt.took,
            attempt.status,
            attempt.code,
            attempt
                .body
                .as_ref()
                .map(Value::to_string)
                .unwrap_or_default()
        )
    }

    /// Overlapping any part of the outage, from `pg_ctl stop` to the server's return.
    fn overlaps_outage(&self, attempt: &Attempt) -> bool {
        attempt.started < self.up && attempt.ended() > self.stop_requested
    }

    /// Wholly while the server was down.
    fn while_down(&self, attempt: &Attempt) -> bool {
        attempt.started >= self.down && attempt.ended() <= self.start_requested
    }

    /// Wholly between `pg_ctl stop` and `pg_ctl start`: the server was going or gone.
    fn while_stopped(&self, attempt: &Attempt) -> bool {
        attempt.started >= self.stop_requested && attempt.ended() <= self.start_requested
    }
}

/// What went wrong, collected so that one run reports all of it.
#[derive(Default)]
struct Findings(Vec<String>);

impl Findings {
    fn check(&mut self, holds: bool, finding: impl FnOnce() -> String) {
        if !holds {
            self.0.push(finding());
        }
    }
}

/// The instance both name as the projector's leader, when they agree on one of them (and
/// each names itself right); otherwise what they said.
async fn leadership(nodes: &[Node]) -> Result<String, String> {
    let mut leaders = Vec::new();
    for (node, name) in nodes.iter().zip(INSTANCES) {
        let (_, body) = node
            .graphql(
                Kind::TableRead,
                "{ readModel { instance leader } }",
                json!({}),
                None,
            )
            .await;
        let status = &body["data"]["readModel"];
        if status["instance"] != name || !status["leader"].is_string() {
            return Err(format!("{name}: {body}"));
        }
        leaders.push(text(&status["leader"]));
    }
    if leaders.iter().all(|leader| *leader == leaders[0])
        && INSTANCES.contains(&leaders[0].as_str())
    {
        Ok(leaders[0].clone())
    } else {
        Err(format!("the instances name different leaders: {leaders:?}"))
    }
}

/// Waits until both instances name the same leader, for at most `within`.
async fn await_leadership(nodes: &[Node], within: Duration) -> Result<String, String> {
    let start = Instant::now();
    loop {
        match leadership(nodes).await {
            Ok(leader) => return Ok(leader),
            Err(last) if start.elapsed() >= within => {
                return Err(format!("no agreed leader within {within:?}: {last}"));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Waits, for at most [`RECOVERY`], until `node`'s read side has applied everything
/// committed.
async fn settle(node: &Node) -> Result<(), String> {
    let start = Instant::now();
    loop {
        let (_, body) = node
            .graphql(
                Kind::TableRead,
                "{ readModel { position headPosition lagEvents } }",
                json!({}),
                None,
            )
            .await;
        let status = &body["data"]["readModel"];
        if status["lagEvents"] == 0
            && status["position"].is_string()
            && status["position"] == status["headPosition"]
        {
            return Ok(());
        }
        if start.elapsed() >= RECOVERY {
            return Err(format!(
                "{} never caught up with the log: {body}",
                INSTANCES[node.index]
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// When `instance` first served everything again after `up`: ready, a write acknowledged
/// and a page read from the read tables; `None` while it has not.
fn recovered_at(
    attempts: &[Attempt],
    acks: &[Ack],
    up: Instant,
    instance: usize,
) -> Option<Instant> {
    let first = |kind: Kind| {
        attempts
            .iter()
            .filter(|attempt| attempt.instance == instance && attempt.kind == kind)
            .filter(|attempt| attempt.started >= up && attempt.succeeded())
            .map(Attempt::ended)
            .min()
    };
    let write = acks
        .iter()
        .filter(|ack| ack.instance == instance && ack.started >= up)
        .map(|ack| ack.ended)
        .min()?;
    [first(Kind::Readiness)?, first(Kind::TableRead)?, write]
        .into_iter()
        .max()
}

async fn two_instances_ride_out_a_postgres_crash(cluster: ThrowawayPostgres) {
    restart_under_load(cluster, Shutdown::Immediate).await;
}

async fn two_instances_ride_out_a_postgres_restart(cluster: ThrowawayPostgres) {
    restart_under_load(cluster, Shutdown::Fast).await;
}

async fn restart_under_load(mut cluster: ThrowawayPostgres, shutdown: Shutdown) {
    let url = cluster.create_database("rosterql").await;
    let mut apps = Vec::new();
    for name in INSTANCES {
        let env = [
            ("ROSTERQL_INSTANCE", name),
            ("ROSTERQL_LEADER_RETRY", "300ms"),
            ("ROSTERQL_DATABASE_TIMEOUT", DATABASE_TIMEOUT),
        ];
        apps.push(TestApp::spawn_process_at(&url, &env).await);
    }
    let nodes: Vec<Node> = apps
        .iter()
        .enumerate()
        .map(|(index, app)| Node::new(index, app))
        .collect();
    let leader_before = await_leadership(&nodes, RECOVERY)
        .await
        .unwrap_or_else(|error| panic!("before the outage: {error}"));

    let load = Arc::new(Load::default());
    let users = seed(&apps, &load).await;
    let mut tasks = Vec::new();
    for (index, (instance, user_id)) in users.iter().enumerate() {
        let node = nodes[*instance].clone();
        tasks.push(tokio::spawn(writer(
            node,
            load.clone(),
            index,
            user_id.clone(),
        )));
    }
    let user_ids: Vec<String> = users.into_iter().map(|(_, id)| id).collect();
    for node in &nodes {
        tasks.push(tokio::spawn(reader(
            node.clone(),
            load.clone(),
            user_ids.clone(),
        )));
        tasks.push(tokio::spawn(prober(node.clone(), load.clone())));
    }

    tokio::time::sleep(LOAD_BEFORE).await;
    let stop_requested = Instant::now();
    cluster.stop_with(shutdown).await;
    let down = Instant::now();
    tokio::time::sleep(OUTAGE).await;
    let start_requested = Instant::now();
    cluster.start().await;
    let up = Instant::now();
    let timeline = Timeline {
        stop_requested,
        down,
        start_requested,
        up,
    };

    // The load goes on until both instances serve again and agree on a leader (or the bound
    // passes), then a little longer.
    let mut recovery = [None, None];
    let mut leader_agreed = None;
    while up.elapsed() < RECOVERY && (recovery.contains(&None) || leader_agreed.is_none()) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let (attempts, acks) = (load.attempts(), load.acks());
        for (instance, at) in recovery.iter_mut().enumerate() {
            *at = recovered_at(&attempts, &acks, up, instance).map(|at| at - up);
        }
        if leader_agreed.is_none() && leadership(&nodes).await.is_ok() {
            leader_agreed = Some(up.elapsed());
        }
    }
    tokio::time::sleep(LOAD_AFTER).await;
    load.stop();
    for task in tasks {
        task.await.expect("a load task");
    }
    let attempts = load.attempts();
    let acks = load.acks();

    let longest = attempts
        .iter()
        .filter(|attempt| timeline.overlaps_outage(attempt))
        .max_by_key(|attempt| attempt.took);
    eprintln!(
        "database restart ({shutdown:?}): {} requests, {} commands acknowledged ({} before the \
         stop, {} after Postgres returned); pg_ctl stop took {:?}, down for {:?}, pg_ctl start \
         took {:?}; longest request overlapping the outage: {}; served again (ready, write, \
         read) after Postgres returned: {recovery:?}; both named one leader after {leader_agreed:?} \
         (leader before: {leader_before})",
        attempts.len(),
        acks.len(),
        acks.iter()
            .filter(|ack| ack.ended <= stop_requested)
            .count(),
        acks.iter().filter(|ack| ack.started >= up).count(),
        down - stop_requested,
        start_requested - down,
        up - start_requested,
        longest.map_or_else(|| "none".to_owned(), |attempt| timeline.show(attempt)),
    );

    let mut findings = Findings::default();
    check_answers(&attempts, &load.anomalies(), &timeline, &mut findings);
    check_outage(&attempts, &acks, &timeline, &mut findings);
    for (at, name) in recovery.iter().zip(INSTANCES) {
        findings.check(at.is_some(), || {
            format!("{name} did not serve again (ready, a write, a read) within {RECOVERY:?} of Postgres' return")
        });
    }
    findings.check(leader_agreed.is_some(), || {
        format!("the instances did not agree on a leader within {RECOVERY:?} of Postgres' return")
    });
    if let Err(error) = await_leadership(&nodes, RECOVERY).await {
        findings.0.push(format!("after the load: {error}"));
    }
    for node in &nodes {
        let (probe, body) = node.readiness().await;
        findings.check(probe.status == Ok(200), || {
            format!("{} unready after the load: {body}", INSTANCES[node.index])
        });
    }
    check_read_sides(&nodes, &acks, &mut findings).await;
    check_event_log(&url, &acks, &mut findings).await;

    let Findings(findings) = findings;
    if !findings.is_empty() {
        let logs: Vec<String> = apps
            .iter()
            .zip(INSTANCES)
            .map(|(app, name)| {
                let log = app.log();
                let tail = log.len().saturating_sub(40);
                format!(
                    "--- {name}: the last 40 log lines ---\n{}",
                    log[tail..].join("\n")
                )
            })
            .collect();
        panic!(
            "{} findings ({shutdown:?} restart), the first {SHOWN}:\n{}\n\n{}",
            findings.len(),
            findings[..findings.len().min(SHOWN)].join("\n"),
            logs.join("\n")
        );
    }
}

/// An organization and one user per writer, each created through the instance its writer
/// will use (acknowledged commands too); returns (instance, user id) per writer.
async fn seed(apps: &[TestApp], load: &Load) -> Vec<(usize, String)> {
    let organization = apps[0].create_organization("acme", "Acme").await;
    let organization_id = text(&organization["organizationId"]);
    let mut users = Vec::new();
    for writer in 0..WRITERS_PER_INSTANCE * apps.len() {
        let instance = writer % apps.len();
        let name = format!("Writer {writer}");
        let started = Instant::now();
        let email = format!("writer{writer}@example.com");
        let user = apps[instance]
            .create_user(&organization_id, &email, &name)
            .await;
        load.acknowledge(Ack {
            instance,
            user_id: text(&user["userId"]),
            version: 1,
            name,
            token: text(&user["consistencyToken"]),
            started,
            ended: Instant::now(),
        });
        users.push((instance, text(&user["userId"])));
    }
    users
}

/// At any time: an answer (no hang), never a 500, no code but SERVICE_UNAVAILABLE (and a
/// writer's VERSION_CONFLICT after a write it heard nothing of), no internal detail; before
/// the stop, everything served on both instances.
fn check_answers(
    attempts: &[Attempt],
    anomalies: &[String],
    timeline: &Timeline,
    findings: &mut Findings,
) {
    for attempt in attempts {
        let shown = || timeline.show(attempt);
        let Ok(status) = attempt.status else {
            findings.0.push(format!("no answer: {}", shown()));
            continue;
        };
        let expected = match (attempt.kind, attempt.code.as_deref()) {
            (Kind::Readiness, _) => matches!(status, 200 | 503),
            (_, None) => status == 200,
            // The writer checks a conflict follows a write whose outcome it did not hear.
            (_, Some("SERVICE_UNAVAILABLE")) | (Kind::Write, Some("VERSION_CONFLICT")) => {
                status != 500
            }
            _ => false,
        };
        findings.check(expected, || format!("an unexpected answer: {}", shown()));
        if let Some(body) = attempt
            .body
            .as_ref()
            .filter(|body| body.get("errors").is_some())
        {
            let leaked = std::panic::catch_unwind(|| assert_no_internal_detail(body));
            findings.check(leaked.is_ok(), || format!("internal detail: {}", shown()));
            let message = body["errors"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .to_lowercase();
            for detail in DRIVER_DETAIL {
                findings.check(!message.contains(detail), || {
                    format!("{detail:?} leaked: {}", shown())
                });
            }
        }
        if attempt.ended() <= timeline.stop_requested {
            findings.check(attempt.succeeded(), || {
                format!("failed before the outage: {}", shown())
            });
        }
    }
    findings.0.extend(anomalies.iter().cloned());
}

/// While Postgres is away: no request overlapping the outage outlasts the bound by more
/// than the margin, no write is acknowledged, both instances refuse writes and reads of the
/// read tables with SERVICE_UNAVAILABLE, and their `/readyz` answers 503 naming the
/// database. And the load did reach both instances before.
fn check_outage(attempts: &[Attempt], acks: &[Ack], timeline: &Timeline, findings: &mut Findings) {
    for attempt in attempts
        .iter()
        .filter(|attempt| timeline.overlaps_outage(attempt))
    {
        findings.check(attempt.took <= BOUND + MARGIN, || {
            format!(
                "outlasted {BOUND:?} + {MARGIN:?} during the outage: {}",
                timeline.show(attempt)
            )
        });
    }
    for ack in acks
        .iter()
        .filter(|ack| ack.started >= timeline.down && ack.ended <= timeline.start_requested)
    {
        findings.0.push(format!(
            "a write acknowledged while Postgres was down: {ack:?}"
        ));
    }
    for (instance, name) in INSTANCES.iter().enumerate() {
        let before = acks.iter().filter(|ack| {
            ack.instance == instance && ack.version > 1 && ack.ended <= timeline.stop_requested
        });
        findings.check(before.count() > 0, || {
            format!("no write acknowledged on {name} before the outage")
        });
        let on = |kind: Kind| {
            attempts
                .iter()
                .filter(move |attempt| attempt.instance == instance && attempt.kind == kind)
        };
        let down = |kind: Kind| on(kind).filter(|attempt| timeline.while_down(attempt));
        for kind in [Kind::Write, Kind::TableRead] {
            let refused = on(kind)
                .filter(|attempt| timeline.while_stopped(attempt))
                .filter(|attempt| attempt.code.as_deref() == Some("SERVICE_UNAVAILABLE"))
                .count();
            findings.check(refused > 0, || {
                let around: Vec<String> = on(kind)
                    .filter(|attempt| timeline.overlaps_outage(attempt))
                    .map(|attempt| timeline.show(attempt))
                    .collect();
                format!(
                    "no {kind:?} refused with SERVICE_UNAVAILABLE on {name} between pg_ctl stop \
                     and start (start at {}); those overlapping the outage: {around:#?}",
                    timeline.offset(timeline.start_requested),
                )
            });
        }
        findings.check(down(Kind::Readiness).count() > 0, || {
            let around: Vec<String> = on(Kind::Readiness)
                .filter(|attempt| timeline.overlaps_outage(attempt))
                .map(|attempt| timeline.show(attempt))
                .collect();
            format!(
                "no readiness probe on {name} both sent and answered while Postgres was down \
                 ({} to {}); those overlapping the outage: {around:#?}",
                timeline.offset(timeline.down),
                timeline.offset(timeline.start_requested),
            )
        });
        for probe in down(Kind::Readiness) {
            let body = probe.body.clone().unwrap_or_default();
            findings.check(
                probe.status == Ok(503)
                    && body["status"] == "unavailable"
                    && body["reason"]
                        .as_str()
                        .is_some_and(|reason| reason.contains("database")),
                || {
                    format!(
                        "/readyz while Postgres was down is not a 503 naming the database: {}",
                        timeline.show(probe)
                    )
                },
            );
        }
    }
}

/// The last acknowledged command of each user.
fn last_acks(acks: &[Ack]) -> Vec<&Ack> {
    let mut last: BTreeMap<&str, &Ack> = BTreeMap::new();
    for ack in acks {
        let entry = last.entry(ack.user_id.as_str()).or_insert(ack);
        if ack.version > entry.version {
            *entry = ack;
        }
    }
    last.into_values().collect()
}

/// Each instance, once caught up with the log, serves every user at least at its last
/// acknowledged version (with that command's name when at it): under the command's
/// consistency token, and without one (the cache).
async fn check_read_sides(nodes: &[Node], acks: &[Ack], findings: &mut Findings) {
    let last = last_acks(acks);
    for node in nodes {
        let name = INSTANCES[node.index];
        if let Err(error) = settle(node).await {
            findings.0.push(error);
        }
        for ack in &last {
            for token in [Some(ack.token.as_str()), None] {
                let (attempt, body) = node
                    .graphql(
                        Kind::CachedRead,
                        "query($id: ID!) { user(id: $id) { version name } }",
                        json!({ "id": ack.user_id }),
                        token,
                    )
                    .await;
                let user = &body["data"]["user"];
                let version = user["version"].as_i64().unwrap_or_default();
                findings.check(
                    attempt.succeeded()
                        && version >= ack.version
                        && (version > ack.version || user["name"] == ack.name.as_str()),
                    || {
                        format!(
                            "{name} serves {body} (token: {}) after acknowledging {ack:?}",
                            token.is_some()
                        )
                    },
                );
            }
        }
    }
}

/// The event log holds every acknowledged command: its user, version, event and name.
async fn check_event_log(url: &str, acks: &[Ack], findings: &mut Findings) {
    let database = Database::connect(url)
        .await
        .expect("the event log's database");
    let rows = database
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT aggregate_id::text AS id, aggregate_version AS version, event_type,
                    payload->>'name' AS name
             FROM events WHERE aggregate_type = 'user'",
        ))
        .await
        .expect("the event log reads");
    let mut logged = BTreeMap::new();
    for row in rows {
        let id: String = row.try_get("", "id").expect("id");
        let version: i32 = row.try_get("", "version").expect("version");
        let event: String = row.try_get("", "event_type").expect("event_type");
        let name: Option<String> = row.try_get("", "name").expect("name");
        logged.insert((id, i64::from(version)), (event, name));
    }
    for ack in acks {
        let event = if ack.version == 1 {
            "UserCreated"
        } else {
            "UserRenamed"
        };
        let found = logged.get(&(ack.user_id.clone(), ack.version));
        findings.check(
            found == Some(&(event.to_owned(), Some(ack.name.clone()))),
            || format!("the event log has {found:?} for the acknowledged {ack:?}"),
        );
    }
}

pub(super) fn trials() -> Vec<Trial> {
    throwaway_postgres::gate(on_postgres!(
        two_instances_ride_out_a_postgres_crash,
        two_instances_ride_out_a_postgres_restart,
    ))
}
