//! One batch of the leader, landed whole, or its bad event found: the events of aggregates
//! with parked events are parked behind them in the batch's transaction, and a single event
//! that fails is tried again after a pause or, out of attempts, parked (see
//! [`recovery`](super::recovery)).

use sea_orm::DbErr;

use super::announcement::{Announcement, StaleEntries};
use super::parked::{self, Parking};
use super::recovery::{MAX_ATTEMPTS, Recovery};
use super::{Projector, Step, StepError, apply_all, checkpoint};
use crate::db;
use crate::event_log::{Position, ReadEvent, RecordedEvent, position_and_aggregate};

impl Projector {
    /// Applies `events` (read after `from`) as one batch: the checkpoint, the rows, the
    /// events parked behind earlier ones of their aggregates and the announcement, in one
    /// transaction; then this instance's mirror.
    pub(super) async fn apply_batch(
        &self,
        from: Position,
        events: &[RecordedEvent],
    ) -> Result<(), BatchError> {
        let Some(to) = events.last().map(|event| event.position) else {
            return Ok(());
        };
        let txn = db::begin_write(&self.read_db).await?;
        db::relax_durability(&txn).await?;
        checkpoint::advance(&txn, from, to).await?;
        // Read after the checkpoint is held, so a retry that just took an aggregate off the
        // list has committed.
        let parked_aggregates =
            parked::aggregates_among(&txn, events.iter().map(|event| event.aggregate_id)).await?;
        let (behind, ready): (Vec<_>, Vec<_>) = events
            .iter()
            .cloned()
            .partition(|event| parked_aggregates.contains(&event.aggregate_id));
        let effects = apply_all(&txn, &ready).await.map_err(BatchError::event)?;
        let behind: Vec<Parking> = behind
            .into_iter()
            .map(|event| Parking::behind(&Ok(event)))
            .collect();
        parked::park(&txn, &behind).await?;
        let announcement = Announcement {
            from,
            to,
            stale: Some(StaleEntries::of(events)),
            rebuilt: false,
        };
        announcement.send(&txn).await?;
        txn.commit().await?;

        self.mirror.landed(to, effects.cache, effects.changes).await;
        metrics::counter!("rosterql_projector_events_total").increment(ready.len() as u64);
        for parking in &behind {
            log_parked(parking);
        }
        Ok(())
    }

    /// The single event after `from` failed with `error`: try it again after a pause, or,
    /// once it has had its attempts (or its aggregate is parked already), park it.
    pub(super) async fn event_failed(
        &self,
        from: Position,
        event: ReadEvent,
        error: String,
        recovery: &mut Recovery,
    ) -> Result<Step, StepError> {
        let (at, aggregate_id) = position_and_aggregate(&event);
        let already_parked = parked::aggregates_among(&self.read_db, [aggregate_id])
            .await?
            .contains(&aggregate_id);
        let parking = if already_parked {
            Parking::behind(&event)
        } else {
            let attempts = recovery.failed(at);
            if attempts < MAX_ATTEMPTS {
                tracing::warn!(
                    position = %at, aggregate = %aggregate_id, attempts, %error,
                    "the projector cannot apply an event; trying again"
                );
                return Ok(Step::Retrying {
                    pause: Recovery::pause(attempts),
                });
            }
            Parking::failed(&event, error, attempts)
        };
        let txn = db::begin_write(&self.read_db).await?;
        checkpoint::advance(&txn, from, at).await?;
        parked::park(&txn, std::slice::from_ref(&parking)).await?;
        let announcement = Announcement {
            from,
            to: at,
            stale: Some(StaleEntries::default()),
            rebuilt: false,
        };
        announcement.send(&txn).await?;
        txn.commit().await?;
        self.mirror.landed(at, Vec::new(), Vec::new()).await;
        recovery.passed(at);
        log_parked(&parking);
        Ok(Step::Applied)
    }
}

/// Why a batch did not land: one of its events, or anything else.
pub(super) enum BatchError {
    Event(DbErr),
    Step(StepError),
}

impl BatchError {
    /// An error applying the events: theirs, unless the database could not be reached.
    fn event(error: DbErr) -> Self {
        if db::is_unavailable(&error) {
            Self::Step(error.into())
        } else {
            Self::Event(error)
        }
    }
}

impl From<DbErr> for BatchError {
    fn from(error: DbErr) -> Self {
        Self::Step(error.into())
    }
}

fn log_parked(parking: &Parking) {
    metrics::counter!("rosterql_projector_parked_events_total").increment(1);
    tracing::error!(
        position = %parking.position,
        aggregate = %parking.aggregate_id,
        aggregate_type = %parking.aggregate_type,
        event = %parking.event,
        attempts = parking.attempts,
        error = %parking.error,
        "parked an event the projector cannot apply; the other aggregates go on \
         (retryParkedEvents applies it once its cause is fixed)"
    );
}
