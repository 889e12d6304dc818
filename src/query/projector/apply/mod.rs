//! A batch's effect on the read tables, inside the batch's transaction, and what to do once
//! that transaction commits (the cache updates and the changes to publish): the rows the
//! batch names are loaded in one query per table, the events folded into them in memory
//! ([`fold`]), and the final rows written back in a few statements ([`write`]), so the cost
//! of a batch hardly grows with its events.

pub(super) mod fold;
pub(super) mod write;

use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

use self::fold::Fold;
use super::Effects;
use crate::event_log::RecordedEvent;
use crate::query::store::{organization_profiles, user_profiles};

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

/// Empties every read table (for a rebuild).
pub(super) async fn clear(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    user_profiles::Entity::delete_many().exec(db).await?;
    organization_profiles::Entity::delete_many()
        .exec(db)
        .await?;
    Ok(())
}
