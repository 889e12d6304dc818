//! Issue 7's proof: three `rosterql serve` processes on one Postgres database. Writes go to
//! all three; after each acknowledged write a read under its consistency token goes to
//! another instance; every instance has an unfiltered `userChanged` listener; the leader is
//! killed -9 and restarted, then a follower. Afterwards: no read under a token was stale,
//! every listener received every user change of the log exactly once and in order (resuming
//! with `after` across its instance's restart), the instances agree, and the read tables
//! equal a rebuild from the event log, row by row.
//!
//! This module holds the scenario's outline; its steps are in modules of their own: the load
//! ([`load`]: its writers in [`writers`], its readers in [`readers`]), what the instances say
//! of themselves ([`instances`]), the kills ([`kills`]), and the checks once the load is
//! over: against the event log ([`log`]), of the listeners ([`listeners`]), of the
//! instances' agreement ([`agreement`]) and against a rebuild ([`rebuild`]).

mod agreement;
mod instances;
mod kills;
mod listeners;
mod load;
mod log;
mod readers;
mod rebuild;
mod writers;

use std::time::Duration;

use libtest_mimic::Trial;
use sea_orm::Database;

use self::agreement::assert_instances_agree;
use self::instances::{assert_leader_gauges, converged, one_leader};
use self::kills::kill_the_leader_then_a_follower;
use self::listeners::{
    assert_every_change_received_once,
    the_listener_check_finds_duplicates_gaps_disorder_and_strangers,
};
use self::load::{Load, assert_tally, seed};
use self::log::{assert_acknowledged_renames_logged, event_log, user_changes_after};
use self::rebuild::assert_equal_to_a_rebuild;
use crate::support::{Cluster, FollowingListener, TestDatabase, on_postgres, without_database};

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

const USER: &str = "query($id: ID!) {
    user(id: $id) { id name email role status version organization { id slug name } updatedAt } }";

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

    let (users, organizations) = seed(&cluster).await;
    let start = converged(&cluster).await;

    let listeners: Vec<FollowingListener> = (0..NAMES.len())
        .map(|index| FollowingListener::start(view.clone(), index, start.clone()))
        .collect();
    let (load, tasks) = Load::start(view.clone(), users, organizations);
    let kills = kill_the_leader_then_a_follower(&mut cluster).await;
    let tally = load.stop(tasks).await;
    assert_tally(&tally, &kills, &cluster);

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
    let user_changes = user_changes_after(&log, &start);
    assert_acknowledged_renames_logged(&log, &start, &tally);
    let records =
        assert_every_change_received_once(listeners, &user_changes, &start, &cluster).await;
    let users_compared = assert_instances_agree(&view, &db, &load, &log).await;
    let rows_compared = assert_equal_to_a_rebuild(&database.url, &db).await;

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
        NAMES[kills.leader],
        NAMES[kills.follower],
        kills.takeover_first.as_millis(),
        kills.takeover_agreed.as_millis(),
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

pub(super) fn trials() -> Vec<Trial> {
    let mut trials = on_postgres!(
        three_instances_on_one_database_survive_kill_9_of_the_leader_and_of_a_follower_under_load
    );
    trials.extend(without_database!(
        the_listener_check_finds_duplicates_gaps_disorder_and_strangers
    ));
    trials
}
