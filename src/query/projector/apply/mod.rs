//! One event's effect on the read tables, inside the batch's transaction, and what to do
//! once that transaction commits (the cache updates and the changes to publish).

mod organizations;
mod rows;
mod users;

use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

use super::Effects;
use crate::domain::DomainEvent;
use crate::event_log::RecordedEvent;
use crate::query::store::{organization_profiles, user_profiles};

pub(super) async fn apply(
    db: &impl ConnectionTrait,
    recorded: &RecordedEvent,
    effects: &mut Effects,
) -> Result<(), DbErr> {
    match &recorded.event {
        DomainEvent::Organization(event) => {
            organizations::apply(db, recorded, event, effects).await
        }
        DomainEvent::User(member) => users::apply(db, recorded, member, effects).await,
    }
}

/// Empties every read table (for a rebuild).
pub(super) async fn clear(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    user_profiles::Entity::delete_many().exec(db).await?;
    organization_profiles::Entity::delete_many()
        .exec(db)
        .await?;
    Ok(())
}
