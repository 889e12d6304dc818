//! Postgres restarted under load, beneath two server processes: while it is down every
//! request fails fast with SERVICE_UNAVAILABLE (never a 500, a hang or a driver message)
//! and `/readyz` says the database is why; once it is back both instances recover by
//! themselves within seconds, they agree again on which of them leads the projector, and
//! every command that was acknowledged is in the event log and on both read sides.
//!
//! The cluster is the test's own ([`ThrowawayPostgres`]), stopped once as a crash would
//! (`-m immediate`) and once as an operator's restart would (`-m fast`). Every finding is
//! collected, so a failure lists all that went wrong, with the figures of the run.
//!
//! This module holds the scenario; the load is in [`load`], the outage's timeline and the
//! checks of the requests against it in [`outage`], and recovery and the checks once the
//! load is over in [`recovery`].

mod load;
mod outage;
mod recovery;

use std::sync::Arc;
use std::time::Duration;

use libtest_mimic::Trial;
use tokio::time::Instant;

use self::load::{Ack, Load, Node, prober, reader, writer};
use self::outage::{Timeline, check_answers, check_outage};
use self::recovery::{
    await_leadership, check_event_log, check_read_sides, leadership, recovered_at,
};
use crate::support::throwaway_postgres::{self, Shutdown, ThrowawayPostgres};
use crate::support::{TestApp, on_postgres, text};

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
/// Findings shown in a failure's message (all are counted).
const SHOWN: usize = 25;

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
            // The writers retry what the outage held up in a burst, past the default budget
            // of 100 mutations a second: rate limits have tests of their own.
            ("ROSTERQL_RATE_LIMIT_MUTATIONS", "1000000/s"),
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
                // A request that got no answer may be a server that went away.
                let exited = app
                    .exited()
                    .map_or_else(String::new, |status| format!(" (exited: {status})"));
                format!(
                    "--- {name}{exited}: the last 40 log lines ---\n{}",
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

pub(super) fn trials() -> Vec<Trial> {
    throwaway_postgres::gate(on_postgres!(
        two_instances_ride_out_a_postgres_crash,
        two_instances_ride_out_a_postgres_restart,
    ))
}
