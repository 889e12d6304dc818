//! The read tables, private to the read side: flat rows shaped like the answers, and the
//! projector's own (its checkpoint, the events it parked).

pub(super) mod checkpoints;
pub(super) mod organization_profiles;
pub(super) mod parked_events;
pub(super) mod user_profiles;

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

/// The rows of `E` whose `id` column is one of `ids`, in one query (none for no ids).
pub(super) async fn rows_with_ids<E: EntityTrait>(
    db: &impl ConnectionTrait,
    id: E::Column,
    ids: &[Uuid],
) -> Result<Vec<E::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    E::find()
        .filter(id.is_in(ids.iter().copied()))
        .all(db)
        .await
}
