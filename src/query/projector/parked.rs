//! The events the projector set aside, in `parked_events`: parked in the transaction of
//! the batch that moves the checkpoint past them, looked up by aggregate so that every
//! later event of a parked aggregate is parked behind it, and taken back by a retry.

use std::collections::HashSet;

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use crate::event_log::{Position, ReadEvent, UnreadableEvent};
use crate::query::store::parked_events::{ActiveModel, Column, Entity, Model};

/// One event to park, with why.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Parking {
    pub position: Position,
    pub aggregate_type: String,
    pub aggregate_id: Uuid,
    pub event: String,
    pub error: String,
    pub attempts: i32,
}

impl Parking {
    /// `event` could not be applied: `error`, after `attempts` tries.
    pub(super) fn failed(event: &ReadEvent, error: String, attempts: i32) -> Self {
        match event {
            Ok(recorded) => Self {
                position: recorded.position,
                aggregate_type: recorded.event.aggregate_type().to_owned(),
                aggregate_id: recorded.aggregate_id,
                event: recorded.event.name().to_owned(),
                error,
                attempts,
            },
            Err(unreadable) => Self {
                position: unreadable.position,
                aggregate_type: unreadable.aggregate_type.clone(),
                aggregate_id: unreadable.aggregate_id,
                event: unreadable.event_type.clone(),
                error,
                attempts,
            },
        }
    }

    /// `event` waits behind an earlier parked event of its aggregate; it was not tried.
    pub(super) fn behind(event: &ReadEvent) -> Self {
        let error = "an earlier event of this aggregate is parked; this one waits behind it";
        Self::failed(event, error.to_owned(), 0)
    }
}

/// Why an unreadable event cannot be applied.
pub(super) fn decode_error(unreadable: &UnreadableEvent) -> String {
    format!("cannot decode the event: {}", unreadable.error)
}

/// Parks `events`; one parked already (a retry that failed again) takes the new error and
/// attempts.
pub(super) async fn park(db: &impl ConnectionTrait, events: &[Parking]) -> Result<(), DbErr> {
    if events.is_empty() {
        return Ok(());
    }
    let parked_at = Utc::now();
    let rows = events.iter().map(|parking| ActiveModel {
        tx: Set(parking.position.tx),
        seq: Set(parking.position.seq),
        aggregate_type: Set(parking.aggregate_type.clone()),
        aggregate_id: Set(parking.aggregate_id),
        event: Set(parking.event.clone()),
        error: Set(parking.error.clone()),
        attempts: Set(parking.attempts),
        parked_at: Set(parked_at),
    });
    Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([Column::Tx, Column::Seq])
                .update_columns([Column::Error, Column::Attempts, Column::ParkedAt])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Which of `ids` have parked events (one query; none for no ids).
pub(super) async fn aggregates_among(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashSet<Uuid>, DbErr> {
    let ids: HashSet<Uuid> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let parked: Vec<Uuid> = Entity::find()
        .select_only()
        .column(Column::AggregateId)
        .distinct()
        .filter(Column::AggregateId.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(parked.into_iter().collect())
}

/// Every parked event's position.
pub(super) async fn positions(db: &impl ConnectionTrait) -> Result<HashSet<Position>, DbErr> {
    let parked: Vec<(i64, i64)> = Entity::find()
        .select_only()
        .columns([Column::Tx, Column::Seq])
        .into_tuple()
        .all(db)
        .await?;
    Ok(parked
        .into_iter()
        .map(|(tx, seq)| Position { tx, seq })
        .collect())
}

/// The parked events of `aggregate` (of every aggregate for None), in log order.
pub(super) async fn of_aggregate(
    db: &impl ConnectionTrait,
    aggregate: Option<Uuid>,
) -> Result<Vec<Model>, DbErr> {
    let mut select = Entity::find();
    if let Some(id) = aggregate {
        select = select.filter(Column::AggregateId.eq(id));
    }
    select
        .order_by_asc(Column::Tx)
        .order_by_asc(Column::Seq)
        .all(db)
        .await
}

/// Takes the events at `positions` off the parked list.
pub(super) async fn unpark(db: &impl ConnectionTrait, positions: &[Position]) -> Result<(), DbErr> {
    for position in positions {
        Entity::delete_many()
            .filter(Column::Tx.eq(position.tx))
            .filter(Column::Seq.eq(position.seq))
            .exec(db)
            .await?;
    }
    Ok(())
}
