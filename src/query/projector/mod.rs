//! The projector: applies the event log, in order, to the read tables, and keeps this
//! instance's cache, applied position and subscribers in step with them.
//!
//! Several instances may share one read database; one of them leads (see [`leadership`])
//! and applies the log, the others follow its batches (see [`follower`]). One batch is one
//! read-side transaction: the checkpoint moves first, by compare-and-set (so a second
//! projector, such as a former leader that has not noticed it lost the lead, blocks on it
//! and then fails without writing), then the rows, then the batch's announcement to the
//! other instances, all committed together. After the commit the [`Mirror`] moves: cache,
//! applied position, subscribers. The leader wakes when a command of this process commits
//! and polls as a safety net (for commands on other instances).

mod announcement;
mod apply;
mod checkpoint;
mod follower;
mod held_back;
mod leadership;
mod mirror;
mod notices;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};
use tokio::sync::Notify;

use self::announcement::CHANNEL as ANNOUNCEMENTS;
use self::announcement::{Announcement, StaleEntries};
use self::held_back::HeldBack;
use self::notices::Notices;
use super::QueryError;
use super::cache::CacheUpdate;
use super::changes::{Change, ChangeStream};
use super::progress::ProjectorHealth;
use crate::db;
use crate::event_log::{APPENDED_CHANNEL, EventLog, Position, RecordedEvent};

pub use checkpoint::{Checkpoint, load as load_checkpoint};
pub use leadership::{Leadership, Lease, current_leader};
pub use mirror::Mirror;

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
    pub wake: Arc<Notify>,
    pub poll_interval: Duration,
    pub leader_retry: Duration,
    pub health: ProjectorHealth,
    pub leadership: Leadership,
}

enum Step {
    Applied,
    Idle { blocked: bool },
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
            let stop = self.lead(&mut lease, shutdown.as_mut()).await;
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

    /// Mirrors the leader's batches, trying for the lead every `leader_retry`.
    async fn follow_until_leading(&mut self) -> Lease {
        // Listen first, then catch up (on the first thing heard): nothing committed in
        // between goes unseen.
        let mut announcements = Notices::listen(&self.read_url, ANNOUNCEMENTS);
        let mut failing = false;
        loop {
            match self.leadership.try_lead(self.leader_retry).await {
                Ok(Some(lease)) => return lease,
                Ok(None) => failing = false,
                Err(error) => {
                    if !failing {
                        tracing::warn!(%error, "cannot compete for the projector's lead; retrying");
                    }
                    failing = true;
                }
            }
            self.follow_for(announcements.as_mut(), self.leader_retry)
                .await;
        }
    }

    /// Applies the log while `lease` holds; says why it stopped. Shutdown and a lost lead
    /// are seen between batches, never in the middle of one.
    async fn lead(
        &self,
        lease: &mut Lease,
        mut shutdown: Pin<&mut impl Future<Output = ()>>,
    ) -> Stop {
        let lost = lease.lost(self.leader_retry);
        let mut lost = std::pin::pin!(lost);
        // Commands on every instance wake the leader; polling is the safety net.
        let mut appended = Notices::listen(&self.command_url, APPENDED_CHANNEL);
        // A rebuild of the read tables (by `rosterql rebuild-projections`) is announced like
        // a batch: the leader drops its cache and its listeners catch up, as followers do.
        let mut announced = Notices::listen(&self.read_url, ANNOUNCEMENTS);
        let mut position = None;
        // Doubles while an old transaction keeps holding newer events back.
        let mut blocked_pause = BLOCKED_RETRY;
        let mut held_back = HeldBack::default();
        loop {
            let step = self.step(&mut position).await;
            let pause = match step {
                Ok(step) => {
                    if self.health.report(None) {
                        tracing::info!("the projector applies the log again");
                    }
                    match step {
                        Step::Applied => {
                            held_back.clear();
                            blocked_pause = BLOCKED_RETRY;
                            Duration::ZERO
                        }
                        Step::Idle { blocked: true } => {
                            held_back.note(&self.log).await;
                            let pause = blocked_pause;
                            blocked_pause = (blocked_pause * 2).min(self.poll_interval);
                            pause
                        }
                        Step::Idle { blocked: false } => {
                            held_back.clear();
                            self.poll_interval
                        }
                    }
                }
                Err(StepError::Refused(reason)) => {
                    tracing::error!("the projector refuses to run: {reason}");
                    self.health
                        .report(Some(format!("the projector refuses to run: {reason}")));
                    position = None;
                    REFUSED_RETRY
                }
                Err(error) => {
                    metrics::counter!("rosterql_projector_errors_total").increment(1);
                    let problem =
                        "the projector cannot apply the event log (it keeps retrying; see the log)";
                    if self.health.report(Some(problem.to_owned())) {
                        tracing::error!(%error, "projector batch failed; retrying");
                    } else {
                        tracing::debug!(%error, "projector batch failed again");
                    }
                    // Re-read the checkpoint: it may have moved under us, or a commit that
                    // reported failure may have landed.
                    position = None;
                    ERROR_BACKOFF
                }
            };
            // Shutdown first: a backlog must not keep a stopping server waiting.
            tokio::select! {
                biased;
                () = shutdown.as_mut() => return Stop::Shutdown,
                () = &mut lost => return Stop::LeadLost,
                () = tokio::time::sleep(pause) => {}
                () = self.wake.notified() => {}
                _ = next_notice(appended.as_mut()) => {}
                heard = next_notice(announced.as_mut()) => {
                    if let Some(rebuilt) = rebuild_announced(heard) {
                        self.mirror.reset(rebuilt).await;
                        position = None;
                    }
                }
            }
        }
    }

    async fn step(&self, position: &mut Option<Position>) -> Result<Step, StepError> {
        let from = match *position {
            Some(from) => from,
            None => {
                let from = self.verified_checkpoint().await?;
                let known = self.mirror.applied();
                if from > known {
                    // Committed batches this instance has not mirrored (it followed until
                    // now, or a commit reported failure but landed).
                    self.catch_up_to(from).await?;
                } else if from < known {
                    // The read side went back: it was rebuilt.
                    self.mirror.reset(from).await;
                }
                *position = Some(from);
                from
            }
        };
        let batch = self.log.read_after(from, BATCH_SIZE).await?;
        if batch.blocked {
            // An older transaction is still open: nothing after it may be applied yet.
            metrics::counter!("rosterql_projector_blocked_reads_total").increment(1);
        }
        let Some(last) = batch.events.last() else {
            if !batch.blocked {
                metrics::gauge!("rosterql_projector_lag_seconds").set(0.0);
            }
            return Ok(Step::Idle {
                blocked: batch.blocked,
            });
        };
        let to = last.position;
        let age = (Utc::now() - last.recorded_at).num_milliseconds().max(0) as f64 / 1e3;
        let txn = db::begin_write(&self.read_db).await?;
        db::relax_durability(&txn).await?;
        checkpoint::advance(&txn, from, to).await?;
        let effects = apply_all(&txn, &batch.events).await?;
        let announcement = Announcement {
            from,
            to,
            stale: Some(StaleEntries::of(&batch.events)),
            rebuilt: false,
        };
        announcement.send(&txn).await?;
        txn.commit().await?;

        self.mirror.landed(to, effects.cache, effects.changes).await;
        *position = Some(to);
        metrics::counter!("rosterql_projector_events_total").increment(batch.events.len() as u64);
        // How old the newest applied event was when it landed on the read side.
        metrics::gauge!("rosterql_projector_lag_seconds").set(age);
        Ok(Step::Applied)
    }

    /// The checkpoint, once it is known to count in this log: the log's identity has not
    /// changed and its positions have not gone back below it.
    async fn verified_checkpoint(&self) -> Result<Position, StepError> {
        let checkpoint = checkpoint::load(&self.read_db).await?;
        let identity = self.log.identity().await.unwrap_or_else(|error| {
            tracing::warn!(%error, "cannot read the event log's identity; not checking it");
            None
        });
        match (&checkpoint.log_identity, &identity) {
            (Some(recorded), Some(actual)) if recorded != actual => {
                return Err(StepError::Refused(format!(
                    "the event log is in another database cluster (system identifier {actual}) \
                     than the one the read side was built from ({recorded}), so its positions \
                     do not continue the checkpoint's; rebuild the read side with \
                     `rosterql rebuild-projections`"
                )));
            }
            (None, Some(actual)) => checkpoint::record_log_identity(&self.read_db, actual).await?,
            _ => {}
        }
        let head = self.log.head().await?;
        if head < checkpoint.position {
            return Err(StepError::Refused(format!(
                "the event log ends at {head}, before the read side's checkpoint {}: its \
                 positions went backwards (a restored or replicated command database?); \
                 rebuild the read side with `rosterql rebuild-projections`",
                checkpoint.position
            )));
        }
        Ok(checkpoint.position)
    }
}

/// The next notice, or never without a listener.
async fn next_notice(notices: Option<&mut Notices>) -> notices::Heard {
    match notices {
        Some(notices) => notices.next().await,
        None => std::future::pending().await,
    }
}

/// Where a rebuild of the read tables left the checkpoint, when `heard` announces one.
fn rebuild_announced(heard: notices::Heard) -> Option<Position> {
    let notices::Heard::Notice(payload) = heard else {
        return None;
    };
    let announcement = Announcement::parse(&payload).ok()?;
    announcement.rebuilt.then_some(announcement.to)
}

/// Applies `events` in order on `txn`; returns what to do once it commits.
async fn apply_all(txn: &DatabaseTransaction, events: &[RecordedEvent]) -> Result<Effects, DbErr> {
    apply::apply(txn, events).await
}

/// `rosterql rebuild-projections`: empties the read tables and replays the whole log into
/// them in one transaction, so readers see the old tables until the new ones commit; every
/// instance then drops its cache and catches its listeners up.
pub async fn rebuild(log: &EventLog, read_db: &DatabaseConnection) -> Result<u64, DbErr> {
    let identity = log.identity().await?;
    let txn = db::begin_write(read_db).await?;
    apply::clear(&txn).await?;
    let before = checkpoint::reset(&txn, identity.as_deref()).await?;
    let mut position = Position::ORIGIN;
    let mut applied = 0;
    loop {
        // A settled prefix ends where it ends: whatever is still unsettled sorts after it,
        // so the live projector picks it up from this checkpoint. (Waiting for it could
        // wait forever: this transaction itself holds the horizon back.)
        let batch = log.read_after(position, BATCH_SIZE).await?;
        let Some(last) = batch.events.last() else {
            break;
        };
        let next = last.position;
        // Nothing outside this process sees the rebuild until it commits: no effects.
        apply_all(&txn, &batch.events).await?;
        applied += batch.events.len() as u64;
        position = next;
    }
    checkpoint::advance(&txn, before, position).await?;
    let announcement = Announcement {
        from: before,
        to: position,
        stale: None,
        rebuilt: true,
    };
    announcement.send(&txn).await?;
    txn.commit().await?;
    Ok(applied)
}
