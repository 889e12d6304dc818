//! The projector: applies the event log, in order, to the read tables, and keeps this
//! instance's cache, applied position and subscribers in step with them.
//!
//! Several instances may share one read database; one of them leads (see [`leadership`])
//! and applies the log ([`leader`]), the others follow its batches ([`follower`]). One
//! batch is one read-side transaction: the checkpoint moves first, by compare-and-set (so
//! a second projector, such as a former leader that has not noticed it lost the lead,
//! blocks on it and then fails without writing), then the rows, then the batch's
//! announcement to the other instances, all committed together. After the commit the [`Mirror`] moves: cache,
//! applied position, subscribers. The leader wakes when a command commits on any instance
//! and polls as a safety net.

mod announcement;
mod apply;
mod batch;
mod checkpoint;
mod follower;
mod held_back;
mod leader;
mod leadership;
mod mirror;
mod notices;
mod parked;
mod rebuild;
mod recovery;
mod retry;
mod verify;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};
use tokio::sync::Notify;
use tokio_util::task::AbortOnDropHandle;

use super::QueryError;
use super::cache::CacheUpdate;
use super::changes::{Change, ChangeStream};
use super::progress::ProjectorHealth;
use crate::event_log::{EventLog, RecordedEvent, relay_commits};

pub use checkpoint::{Checkpoint, load as load_checkpoint};
pub use leadership::{Leadership, Lease, current_leader};
pub use mirror::{Mirror, record_position};
pub use rebuild::{Rebuilt, rebuild};
pub use retry::{Retried, retry_parked};
pub use verify::{Difference, DifferenceKind, Verification, verify};

const BATCH_SIZE: u64 = 500;
/// How soon to look again when an older transaction still holds back newer events.
const BLOCKED_RETRY: Duration = Duration::from_millis(5);
const ERROR_BACKOFF: Duration = Duration::from_millis(500);
/// How long the projector waits before looking again at a log it refused.
const REFUSED_RETRY: Duration = Duration::from_secs(10);

/// What a batch did besides writing rows, done once it has committed.
#[derive(Default)]
struct Effects {
    cache: Vec<CacheUpdate>,
    changes: Vec<Change>,
}

/// Why a batch did not land.
#[derive(Debug, thiserror::Error)]
enum StepError {
    #[error(transparent)]
    Database(#[from] DbErr),
    #[error("cannot bring this instance up to the checkpoint: {0:?}")]
    CatchUp(#[from] QueryError),
    /// The log cannot be applied on top of this checkpoint; it takes an operator.
    #[error("the projector refuses to run: {0}")]
    Refused(String),
}

pub struct Projector {
    pub log: EventLog,
    pub read_db: DatabaseConnection,
    pub read_url: String,
    pub command_url: String,
    pub mirror: Mirror,
    /// For the current state of the changes this instance publishes while following.
    pub changes: ChangeStream,
    /// Signalled by this process's commands after each commit.
    pub commits: Arc<Notify>,
    /// Wakes the projector when it leads (this process's commits, relayed).
    pub wake: Arc<Notify>,
    /// Whether this instance leads now (so its commits need not be announced to a leader
    /// elsewhere).
    pub leading: Arc<AtomicBool>,
    pub poll_interval: Duration,
    pub leader_retry: Duration,
    pub health: ProjectorHealth,
    pub leadership: Leadership,
}

enum Step {
    Applied,
    Idle {
        blocked: bool,
    },
    /// An event failed; it is tried again after the pause.
    Retrying {
        pause: Duration,
    },
}

/// Why leading ended.
enum Stop {
    Shutdown,
    LeadLost,
}

impl Projector {
    /// Follows the leader until this instance leads, then leads until it loses the lead,
    /// and again, until `shutdown` completes (when it gives the lead up).
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) {
        let mut shutdown = std::pin::pin!(shutdown);
        metrics::gauge!("rosterql_projector_leader").set(0.0);
        let relay = tokio::spawn(relay_commits(
            self.commits.clone(),
            self.wake.clone(),
            self.leading.clone(),
            self.log.clone(),
        ));
        // The relay ends with the projector.
        let _relay = AbortOnDropHandle::new(relay);
        loop {
            let mut lease = tokio::select! {
                biased;
                () = &mut shutdown => return,
                lease = self.follow_until_leading() => lease,
            };
            tracing::info!(
                instance = self.leadership.instance(),
                "this instance leads the projector"
            );
            metrics::gauge!("rosterql_projector_leader").set(1.0);
            self.leading.store(true, Ordering::Release);
            let stop = self.lead(&mut lease, shutdown.as_mut()).await;
            self.leading.store(false, Ordering::Release);
            metrics::gauge!("rosterql_projector_leader").set(0.0);
            match stop {
                Stop::Shutdown => {
                    lease.release().await;
                    return;
                }
                Stop::LeadLost => {
                    tracing::warn!("this instance no longer leads the projector; following");
                }
            }
        }
    }
}

/// Applies `events` in order on `txn`; returns what to do once it commits.
async fn apply_all(txn: &DatabaseTransaction, events: &[RecordedEvent]) -> Result<Effects, DbErr> {
    apply::apply(txn, events).await
}
