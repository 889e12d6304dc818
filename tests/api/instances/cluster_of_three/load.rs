//! The load: what its tasks share (the seeded users and organizations, the versions the
//! writers know of, the tally of what they did and of every way they saw the cluster fail),
//! starting and stopping them, and the verdict on the tally.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::kills::Kills;
use super::readers::warm;
use super::writers::{rename_organizations, rename_users};
use super::{LOG_TAIL, NAMES, ORGANIZATIONS, USER_WRITERS, USERS_PER_ORGANIZATION};
use crate::support::{Cluster, ClusterView, Endpoint, text};

/// A user the load renames.
pub(super) struct SeededUser {
    pub(super) id: String,
    pub(super) organization: usize,
}

/// A rename an instance acknowledged.
pub(super) struct Acknowledged {
    pub(super) user_id: String,
    pub(super) version: i64,
    pub(super) at: Instant,
}

/// What the load did, and every way it saw the cluster fail.
#[derive(Default)]
pub(super) struct Tally {
    pub(super) acknowledged: Vec<Acknowledged>,
    pub(super) organization_renames: u64,
    pub(super) conflicts: u64,
    /// Requests to an instance killed while they were in flight: not acknowledged.
    pub(super) lost_to_kills: u64,
    pub(super) token_reads: u64,
    pub(super) warm_reads: u64,
    pub(super) failures: Vec<String>,
}

/// What the load's tasks share.
pub(super) struct Load {
    pub(super) view: ClusterView,
    pub(super) users: Vec<SeededUser>,
    pub(super) organizations: Vec<String>,
    /// The latest version of each user the writers know of.
    versions: Mutex<Vec<i64>>,
    stopping: AtomicBool,
    tally: Mutex<Tally>,
}

/// An answer from one instance.
pub(super) enum Answer {
    Data(Value),
    /// The first error of a refused request.
    Refused(Value),
    /// No GraphQL answer at all (a reset connection, a timeout, …).
    Failed(String),
}

impl Load {
    /// Starts the load on the seeded `users` and `organizations`: the user writers, the
    /// organization writer and a reader warming each instance's cache.
    pub(super) fn start(
        view: ClusterView,
        users: Vec<SeededUser>,
        organizations: Vec<String>,
    ) -> (Arc<Self>, Vec<JoinHandle<()>>) {
        let load = Arc::new(Load {
            view,
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
        (load, tasks)
    }

    /// Stops the load's `tasks`, waits for them, and returns what they did.
    pub(super) async fn stop(&self, tasks: Vec<JoinHandle<()>>) -> Tally {
        self.stopping.store(true, Ordering::Relaxed);
        for task in tasks {
            task.await.expect("a load task");
        }
        std::mem::take(&mut *self.tally.lock().expect("the tally"))
    }

    pub(super) fn running(&self) -> bool {
        !self.stopping.load(Ordering::Relaxed)
    }

    pub(super) fn version(&self, user: usize) -> i64 {
        self.versions.lock().expect("the versions")[user]
    }

    pub(super) fn saw_version(&self, user: usize, version: i64) {
        let mut versions = self.versions.lock().expect("the versions");
        versions[user] = versions[user].max(version);
    }

    pub(super) fn tally(&self, update: impl FnOnce(&mut Tally)) {
        update(&mut self.tally.lock().expect("the tally"));
    }

    /// Asks the instance at `endpoint`.
    pub(super) async fn ask(
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
    pub(super) fn failed(&self, index: usize, generation: u64, what: String) -> bool {
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

pub(super) fn code(error: &Value) -> &str {
    error["extensions"]["code"].as_str().unwrap_or("(no code)")
}

/// Seeds the load: each organization and user created through another instance. Returns
/// the users and the organizations' ids.
pub(super) async fn seed(cluster: &Cluster) -> (Vec<SeededUser>, Vec<String>) {
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
    (users, organizations)
}

/// What the load saw: no failure (no stale read under a token, no error from an instance
/// that was up), writes acknowledged while each killed instance was down, and more than a
/// hundred reads under a token.
pub(super) fn assert_tally(tally: &Tally, kills: &Kills, cluster: &Cluster) {
    assert!(
        tally.failures.is_empty(),
        "{} failures under load (no stale read under a token, no error from an instance that was up), e.g.:\n{}\n{}",
        tally.failures.len(),
        tally.failures[..tally.failures.len().min(20)].join("\n"),
        cluster.logs(LOG_TAIL)
    );
    for (what, from, to) in kills.downtimes() {
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
}
