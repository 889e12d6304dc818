//! The projector: applies the event log, in order, to the read tables and the cache, then
//! tells subscriptions.
//!
//! One batch is one read-side transaction: the rows it changes and the checkpoint move
//! together, and the checkpoint moves by compare-and-set, so a crash or a second projector
//! can neither skip nor repeat an event. After the commit it updates the cache, moves the
//! applied position (which releases consistency-token waiters) and publishes the changes,
//! in that order. It wakes when a command commits and polls as a safety net (for writes
//! from other processes).

mod apply;
mod checkpoint;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};
use tokio::sync::{Notify, watch};

use super::cache::{CacheUpdate, UserCache};
use super::changes::{Change, ChangeFeed};
use super::progress::ProjectorHealth;
use crate::db;
use crate::event_log::{EventLog, Position, RecordedEvent};

pub use checkpoint::load as load_checkpoint;

const BATCH_SIZE: u64 = 500;
/// How soon to look again when an older transaction still holds back newer events.
const BLOCKED_RETRY: Duration = Duration::from_millis(5);
const ERROR_BACKOFF: Duration = Duration::from_millis(500);

/// What a batch did besides writing rows, done once it has committed.
#[derive(Default)]
struct Effects {
    cache: Vec<CacheUpdate>,
    changes: Vec<Change>,
}

pub struct Projector {
    pub log: EventLog,
    pub read_db: DatabaseConnection,
    pub cache: Arc<UserCache>,
    pub feed: ChangeFeed,
    pub applied: watch::Sender<Position>,
    pub wake: Arc<Notify>,
    pub poll_interval: Duration,
    pub health: ProjectorHealth,
}

enum Step {
    Applied,
    Idle { blocked: bool },
}

impl Projector {
    /// Applies events until `shutdown` completes.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut position = None;
        // Doubles while an old transaction keeps holding newer events back.
        let mut blocked_pause = BLOCKED_RETRY;
        loop {
            let step = self.step(&mut position).await;
            self.health.report(step.is_err());
            let pause = match step {
                Ok(Step::Applied) => {
                    blocked_pause = BLOCKED_RETRY;
                    Duration::ZERO
                }
                Ok(Step::Idle { blocked: true }) => {
                    let pause = blocked_pause;
                    blocked_pause = (blocked_pause * 2).min(self.poll_interval);
                    pause
                }
                Ok(Step::Idle { blocked: false }) => self.poll_interval,
                Err(error) => {
                    tracing::error!(%error, "projector batch failed; retrying");
                    metrics::counter!("rosterql_projector_errors_total").increment(1);
                    // Re-read the checkpoint: it may have moved under us, or a commit that
                    // reported failure may have landed, so the cache may miss that batch.
                    position = None;
                    self.cache.clear().await;
                    ERROR_BACKOFF
                }
            };
            // Shutdown first: a backlog must not keep a stopping server waiting.
            tokio::select! {
                biased;
                () = &mut shutdown => return,
                () = tokio::time::sleep(pause) => {}
                () = self.wake.notified() => {}
            }
        }
    }

    async fn step(&self, position: &mut Option<Position>) -> Result<Step, DbErr> {
        let from = match *position {
            Some(from) => from,
            None => {
                let from = checkpoint::load(&self.read_db).await?;
                let last_published = self.applied.send_replace(from);
                if from > last_published {
                    // A batch committed without its changes going out.
                    self.feed.resync();
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
        let effects = apply_all(&txn, &batch.events).await?;
        checkpoint::advance(&txn, from, to).await?;
        txn.commit().await?;

        self.cache.apply(effects.cache).await;
        self.applied.send_replace(to);
        self.feed.publish(effects.changes);
        *position = Some(to);
        metrics::counter!("rosterql_projector_events_total").increment(batch.events.len() as u64);
        metrics::gauge!("rosterql_projector_position", "part" => "tx").set(to.tx as f64);
        metrics::gauge!("rosterql_projector_position", "part" => "seq").set(to.seq as f64);
        // How old the newest applied event was when it landed on the read side.
        metrics::gauge!("rosterql_projector_lag_seconds").set(age);
        Ok(Step::Applied)
    }
}

/// Applies `events` in order on `txn`; returns what to do once it commits.
async fn apply_all(txn: &DatabaseTransaction, events: &[RecordedEvent]) -> Result<Effects, DbErr> {
    let mut effects = Effects::default();
    for event in events {
        apply::apply(txn, event, &mut effects).await?;
    }
    Ok(effects)
}

/// `rosterql rebuild-projections`: empties the read tables and replays the whole log into
/// them in one transaction, so readers see the old tables until the new ones commit.
pub async fn rebuild(log: &EventLog, read_db: &DatabaseConnection) -> Result<u64, DbErr> {
    let txn = db::begin_write(read_db).await?;
    apply::clear(&txn).await?;
    let before = checkpoint::reset(&txn).await?;
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
    txn.commit().await?;
    Ok(applied)
}
