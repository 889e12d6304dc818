//! `rosterql rebuild-projections`: the read side built again from the event log while the
//! service keeps answering from the one it has, then swapped in at once.
//!
//! The parked list starts over: an event that still cannot be applied is parked again at
//! once (with its aggregate's later ones), one that can now is applied. Nobody waits on a
//! rebuild's batches, so nothing is retried. The new tables get everything the log has
//! settled, so the checkpoint ends where they end: never behind the old one in the same
//! log (and anywhere when the old one counted in another log). The swap is announced as a
//! rebuild, so every instance drops its cache and its listeners catch up from where they
//! were (no change is lost or repeated).
//!
//! - Postgres ([`shadow`]): new tables in a schema of their own, built batch by batch while
//!   the projector goes on, indexed once full, caught up with what was appended meanwhile,
//!   then swapped in under the checkpoint's lock in one short transaction.
//! - SQLite: one transaction that empties the tables and replays the log. SQLite has one
//!   writer: readers keep their snapshot of the old tables until it commits, writers wait.

mod shadow;

use std::collections::HashSet;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr};
use uuid::Uuid;

use super::announcement::Announcement;
use super::{apply, checkpoint, parked};
use crate::db;
use crate::event_log::{EventLog, Position};

/// Events per replayed batch: larger than the live projector's, whose batches are sized for
/// freshness, since a rebuild is read by no one until it is done.
const REBUILD_BATCH: u64 = 2_000;

/// What a rebuild replayed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rebuilt {
    pub applied: u64,
    pub parked: u64,
    /// The checkpoint the new read side was swapped in at.
    pub position: Position,
}

/// Rebuilds the read side on `read_db` from `log`.
pub async fn rebuild(log: &EventLog, read_db: &DatabaseConnection) -> Result<Rebuilt, DbErr> {
    match read_db.get_database_backend() {
        DbBackend::Postgres => shadow::rebuild(log, read_db).await,
        _ => in_place(log, read_db).await,
    }
}

/// A replay of the log into tables, batch by batch, keeping count and the aggregates parked
/// so far.
#[derive(Default)]
struct Replay {
    position: Position,
    parked_aggregates: HashSet<Uuid>,
    done: Rebuilt,
}

impl Replay {
    /// Applies on `db` the log's events after where the replay stands, up to `target` (to
    /// the end of what is settled for None).
    async fn up_to(
        &mut self,
        log: &EventLog,
        db: &impl ConnectionTrait,
        target: Option<Position>,
    ) -> Result<(), DbErr> {
        while self.next_batch(log, db, target).await? > 0 {}
        Ok(())
    }

    /// Applies on `db` the next batch of events up to `target`; returns how many it read
    /// (none once there).
    async fn next_batch(
        &mut self,
        log: &EventLog,
        db: &impl ConnectionTrait,
        target: Option<Position>,
    ) -> Result<u64, DbErr> {
        let mut batch = log.read_after(self.position, REBUILD_BATCH).await?;
        if let Some(target) = target {
            batch = batch.up_to(target);
        }
        let Some(end) = batch.end() else {
            return Ok(0);
        };
        let events = batch.in_order();
        let read = events.len() as u64;
        let parkings = apply::apply_or_park(db, events, &mut self.parked_aggregates).await?;
        parked::park(db, &parkings).await?;
        self.done.parked += parkings.len() as u64;
        self.done.applied += read - parkings.len() as u64;
        self.position = end;
        Ok(read)
    }
}

/// SQLite: empties the read tables and replays the whole log into them in one transaction.
async fn in_place(log: &EventLog, read_db: &DatabaseConnection) -> Result<Rebuilt, DbErr> {
    let identity = log.identity().await?;
    let txn = db::begin_write(read_db).await?;
    let before = checkpoint::load(&txn).await?.position;
    apply::clear(&txn).await?;
    checkpoint::reset(&txn, identity.as_deref()).await?;
    let mut replay = Replay::default();
    // What the writer (this transaction) sees is all settled: SQLite has one writer.
    replay.up_to(log, &txn, None).await?;
    checkpoint::advance(&txn, Position::ORIGIN, replay.position).await?;
    let announcement = Announcement {
        from: before,
        to: replay.position,
        stale: None,
        rebuilt: true,
    };
    announcement.send(&txn).await?;
    txn.commit().await?;
    replay.done.position = replay.position;
    Ok(replay.done)
}
