//! `retryParkedEvents`: the parked events of one aggregate (or of all), re-applied in log
//! order once their cause is fixed (a new release that reads them, a repaired row).
//!
//! The retry runs on whichever instance is asked, beside the leader: like a verification it
//! holds the projector's checkpoint for its transaction, so no batch interleaves with it.
//! Each event is applied under a savepoint; the first of an aggregate that fails again stays
//! parked with its new error, and so do the aggregate's later ones, behind it. What landed
//! is announced like a rebuild: every instance drops its cache and catches its listeners up
//! (the retried changes keep their old positions, so live listeners see the new state in
//! their next change of it, not as a change of their own).

use std::collections::HashSet;

use sea_orm::{DatabaseConnection, DbErr, TransactionTrait};
use uuid::Uuid;

use super::announcement::Announcement;
use super::parked::{self, Parking};
use super::{apply, checkpoint};
use crate::db;
use crate::event_log::{EventLog, Position, ReadEvent, position_and_aggregate};

/// What a retry did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retried {
    /// Events applied and taken off the parked list.
    pub retried: u64,
    /// Events of the aggregates asked for that are still parked.
    pub still_parked: u64,
}

/// Re-applies the parked events of `aggregate` (every aggregate's for None).
pub async fn retry_parked(
    log: &EventLog,
    read_db: &DatabaseConnection,
    aggregate: Option<Uuid>,
) -> Result<Retried, DbErr> {
    let txn = db::begin_write(read_db).await?;
    // The projector's next batch waits until this commits.
    let position = checkpoint::hold(&txn).await?.position;
    let parked = parked::of_aggregate(&txn, aggregate).await?;
    let attempts_of = |at: Position| {
        parked
            .iter()
            .find(|row| (row.tx, row.seq) == (at.tx, at.seq))
            .map_or(0, |row| row.attempts)
    };
    let positions: Vec<Position> = parked
        .iter()
        .map(|row| Position {
            tx: row.tx,
            seq: row.seq,
        })
        .collect();
    let events = log.read_at(&positions).await?;
    let mut failed_aggregates = HashSet::new();
    let mut applied = Vec::new();
    let mut failed_again = Vec::new();
    for event in &events {
        let (at, aggregate_id) = position_and_aggregate(event);
        if failed_aggregates.contains(&aggregate_id) {
            continue;
        }
        let attempts = attempts_of(at) + 1;
        match apply_one(&txn, event).await? {
            Ok(()) => applied.push(at),
            Err(error) => {
                failed_aggregates.insert(aggregate_id);
                failed_again.push(Parking::failed(event, error, attempts));
            }
        }
    }
    parked::unpark(&txn, &applied).await?;
    parked::park(&txn, &failed_again).await?;
    if !applied.is_empty() {
        let retried = Announcement {
            from: position,
            to: position,
            stale: None,
            rebuilt: true,
        };
        retried.send(&txn).await?;
    }
    let still_parked = parked::of_aggregate(&txn, aggregate).await?.len() as u64;
    txn.commit().await?;
    Ok(Retried {
        retried: applied.len() as u64,
        still_parked,
    })
}

/// Applies `event` under a savepoint: Ok(Err) with why when it cannot be applied (and
/// nothing of it stays), Err when the database itself failed.
async fn apply_one(
    txn: &sea_orm::DatabaseTransaction,
    event: &ReadEvent,
) -> Result<Result<(), String>, DbErr> {
    let recorded = match event {
        Ok(recorded) => recorded,
        Err(unreadable) => return Ok(Err(parked::decode_error(unreadable))),
    };
    let savepoint = txn.begin().await?;
    match apply::apply(&savepoint, std::slice::from_ref(recorded)).await {
        Ok(_) => {
            savepoint.commit().await?;
            Ok(Ok(()))
        }
        Err(error) if db::is_unavailable(&error) => Err(error),
        Err(error) => {
            savepoint.rollback().await?;
            Ok(Err(error.to_string()))
        }
    }
}
