//! Organization events on `organization_profiles`, and a rename on its members' rows.

use std::sync::Arc;

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::rows::{self, ORGANIZATION_ROWS};
use crate::domain::OrganizationEvent;
use crate::event_log::RecordedEvent;
use crate::query::cache::CacheUpdate;
use crate::query::changes::Change;
use crate::query::projector::Effects;
use crate::query::store::{organization_profiles as organizations, user_profiles as users};

pub(super) async fn apply(
    db: &impl ConnectionTrait,
    recorded: &RecordedEvent,
    event: &OrganizationEvent,
    effects: &mut Effects,
) -> Result<(), DbErr> {
    let id = recorded.aggregate_id;
    let position = recorded.position;
    match event {
        OrganizationEvent::OrganizationCreated(created) => {
            organizations::Entity::insert(organizations::ActiveModel {
                id: Set(id),
                slug: Set(created.slug.to_string()),
                name: Set(created.name.to_string()),
                member_count: Set(0),
                active_member_count: Set(0),
                version: Set(recorded.aggregate_version),
                created_at: Set(recorded.recorded_at),
                updated_at: Set(recorded.recorded_at),
                applied_tx: Set(position.tx),
                applied_seq: Set(position.seq),
            })
            .exec_without_returning(db)
            .await?;
        }
        OrganizationEvent::OrganizationRenamed { name } => {
            let name_column = [(organizations::Column::Name, Expr::value(name.as_str()))];
            rows::update::<organizations::Entity>(
                db,
                &ORGANIZATION_ROWS,
                id,
                recorded,
                name_column,
            )
            .await?;
            users::Entity::update_many()
                .col_expr(users::Column::OrganizationName, Expr::value(name.as_str()))
                .col_expr(users::Column::AppliedTx, Expr::value(position.tx))
                .col_expr(users::Column::AppliedSeq, Expr::value(position.seq))
                .filter(users::Column::OrganizationId.eq(id))
                .exec(db)
                .await?;
            effects.cache.push(CacheUpdate::RemoveMembersOf(id));
        }
    }
    let profile = rows::load_organization(db, id).await?;
    effects
        .changes
        .push(Change::of_organization(recorded, Some(Arc::new(profile))));
    Ok(())
}
