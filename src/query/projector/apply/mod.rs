//! A batch's effect on the read tables, inside the batch's transaction, and what to do once
//! that transaction commits (the cache updates and the changes to publish): the rows the
//! batch names are loaded in one query per table, the events folded into them in memory
//! ([`fold`]), and the final rows written back in a few statements ([`write`]), so the cost
//! of a batch hardly grows with its events.

pub(super) mod fold;
pub(super) mod write;

use std::collections::HashSet;

use sea_orm::{ConnectionTrait, DbErr, EntityTrait};
use uuid::Uuid;

use self::fold::Fold;
use super::Effects;
use super::parked::{Parking, decode_error};
use crate::event_log::{ReadEvent, RecordedEvent};
use crate::query::store::{organization_profiles, parked_events, user_profiles};

pub(super) async fn apply(
    db: &impl ConnectionTrait,
    events: &[RecordedEvent],
) -> Result<Effects, DbErr> {
    let (user_ids, organization_ids) = Fold::ids(events);
    let (users, organizations) = write::load(db, user_ids, organization_ids).await?;
    let mut fold = Fold::new(users, organizations);
    for event in events {
        fold.apply(event)?;
    }
    let (writes, effects) = fold.finish()?;
    write::store(db, writes).await?;
    Ok(effects)
}

/// Applies `events` like [`apply`], but parks what cannot be applied instead of failing:
/// an unreadable event, one whose rows are missing, and every later one of an aggregate in
/// `parked` (which gains the aggregates parked here). For a rebuild, which has no one to
/// wait for: nothing is retried. Returns what was parked.
pub(super) async fn apply_or_park(
    db: &impl ConnectionTrait,
    events: Vec<ReadEvent>,
    parked: &mut HashSet<Uuid>,
) -> Result<Vec<Parking>, DbErr> {
    let readable: Vec<RecordedEvent> = events.iter().filter_map(|e| e.clone().ok()).collect();
    let (user_ids, organization_ids) = Fold::ids(&readable);
    let (users, organizations) = write::load(db, user_ids, organization_ids).await?;
    let mut fold = Fold::new(users, organizations);
    let mut parkings = Vec::new();
    for event in &events {
        let parking = match event {
            Ok(recorded) if parked.contains(&recorded.aggregate_id) => Parking::behind(event),
            Ok(recorded) => match fold.apply(recorded) {
                Ok(()) => continue,
                Err(error) => Parking::failed(event, error.to_string(), 1),
            },
            Err(unreadable) if parked.contains(&unreadable.aggregate_id) => Parking::behind(event),
            Err(unreadable) => Parking::failed(event, decode_error(unreadable), 1),
        };
        parked.insert(parking.aggregate_id);
        parkings.push(parking);
    }
    fold.forget_changes();
    let (writes, _) = fold.finish()?;
    write::store(db, writes).await?;
    Ok(parkings)
}

/// Empties every read table and the parked list (for a rebuild).
pub(super) async fn clear(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    parked_events::Entity::delete_many().exec(db).await?;
    user_profiles::Entity::delete_many().exec(db).await?;
    organization_profiles::Entity::delete_many()
        .exec(db)
        .await?;
    Ok(())
}
