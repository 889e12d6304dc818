//! The two kills -9 under load: first the leader's, measuring how long until a survivor
//! leads, then a follower's; each instance restarted after a while down.

use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;

use super::instances::{READ_MODEL, one_leader};
use super::{
    AFTER_LAST_RESTART, BEFORE_FIRST_KILL, BETWEEN_KILLS, DOWN, LOG_TAIL, NAMES, TAKEOVER_BOUND,
};
use crate::support::Cluster;

/// Which instances were killed and when, and how long the leader's takeover took.
pub(super) struct Kills {
    pub(super) leader: usize,
    pub(super) follower: usize,
    /// After the leader's kill: until a survivor named a live leader, and until all agreed.
    pub(super) takeover_first: Duration,
    pub(super) takeover_agreed: Duration,
    leader_killed_at: Instant,
    leader_restarted_at: Instant,
    follower_killed_at: Instant,
    follower_restarted_at: Instant,
}

impl Kills {
    /// While each killed instance was down: what to call that, from, to.
    pub(super) fn downtimes(&self) -> [(&'static str, Instant, Instant); 2] {
        [
            (
                "the leader was down",
                self.leader_killed_at,
                self.leader_restarted_at,
            ),
            (
                "the follower was down",
                self.follower_killed_at,
                self.follower_restarted_at,
            ),
        ]
    }
}

/// While the load runs: kill -9 of the leader (timing its takeover) and its restart, then
/// kill -9 of a follower that was not killed before and its restart, a while apart.
pub(super) async fn kill_the_leader_then_a_follower(cluster: &mut Cluster) -> Kills {
    // The leader, kill -9'd under load, then restarted.
    tokio::time::sleep(BEFORE_FIRST_KILL).await;
    let leader = one_leader(cluster).await;
    let leader_killed_at = Instant::now();
    cluster.kill(leader);
    let (takeover_first, takeover_agreed, new_leader) =
        takeover(cluster, leader, leader_killed_at).await;
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
    let leader_now = one_leader(cluster).await;
    let follower = (0..NAMES.len())
        .find(|index| *index != leader_now && *index != leader)
        .expect("three instances");
    let follower_killed_at = Instant::now();
    cluster.kill(follower);
    tokio::time::sleep(DOWN).await;
    cluster.restart(follower).await;
    let follower_restarted_at = Instant::now();
    tokio::time::sleep(AFTER_LAST_RESTART).await;
    Kills {
        leader,
        follower,
        takeover_first,
        takeover_agreed,
        leader_killed_at,
        leader_restarted_at,
        follower_killed_at,
        follower_restarted_at,
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
