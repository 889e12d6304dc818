//! The listeners' verdict: once they caught up, what each received against the log's user
//! changes (every one exactly once, in order, no stranger, no subscription that ended while
//! its instance was up); and the test of that check itself.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use tokio::time::Instant;

use super::log::order_key;
use super::{CATCH_UP, LOG_TAIL, NAMES};
use crate::support::{Cluster, FollowingListener, ListenerRecord, SeenChange};

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

/// Waits (at most [`CATCH_UP`]) until every listener received the last of `user_changes`,
/// the log's user changes after `start`, then stops them and asserts that each received
/// every one of them once and in order; returns what they received.
pub(super) async fn assert_every_change_received_once(
    listeners: Vec<FollowingListener>,
    user_changes: &[SeenChange],
    start: &str,
    cluster: &Cluster,
) -> Vec<ListenerRecord> {
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
        .flat_map(|(record, name)| listener_problems(name, record, user_changes))
        .collect();
    assert!(
        problems.is_empty(),
        "listeners against the log's {} user changes after {start}:\n{}\n{}",
        user_changes.len(),
        problems.join("\n"),
        cluster.logs(LOG_TAIL)
    );
    records
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
pub(super) fn the_listener_check_finds_duplicates_gaps_disorder_and_strangers() {
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
