//! User events on `user_profiles`, and on their organization's member counts.

use std::sync::Arc;

use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::rows::{self, USER_ROWS};
use crate::domain::{MemberEvent, UserEvent, UserStatus};
use crate::event_log::RecordedEvent;
use crate::query::cache::CacheUpdate;
use crate::query::changes::Change;
use crate::query::projector::Effects;
use crate::query::store::{organization_profiles as organizations, user_profiles as users};

pub(super) async fn apply(
    db: &impl ConnectionTrait,
    recorded: &RecordedEvent,
    member: &MemberEvent,
    effects: &mut Effects,
) -> Result<(), DbErr> {
    let id = recorded.aggregate_id;
    let organization_id = member.organization_id;
    match &member.event {
        UserEvent::UserCreated(created) => {
            let organization = rows::load_organization(db, organization_id).await?;
            let position = recorded.position;
            users::Entity::insert(users::ActiveModel {
                id: Set(id),
                organization_id: Set(organization_id),
                organization_slug: Set(organization.slug),
                organization_name: Set(organization.name),
                email: Set(created.email.to_string()),
                name: Set(created.name.to_string()),
                name_folded: Set(created.name.as_str().to_lowercase()),
                role: Set(created.role.as_str().to_owned()),
                status: Set(UserStatus::Active.as_str().to_owned()),
                version: Set(recorded.aggregate_version),
                created_at: Set(recorded.recorded_at),
                updated_at: Set(recorded.recorded_at),
                applied_tx: Set(position.tx),
                applied_seq: Set(position.seq),
            })
            .exec_without_returning(db)
            .await?;
            count_members(db, organization_id, 1, 1).await?;
        }
        UserEvent::UserDeleted => {
            let user = rows::load_user(db, id).await?;
            users::Entity::delete_by_id(id).exec(db).await?;
            let was_active = i32::from(user.status == UserStatus::Active);
            count_members(db, organization_id, -1, -was_active).await?;
            effects.cache.push(CacheUpdate::Remove(id));
            effects
                .changes
                .push(Change::of_user(recorded, member, None));
            return Ok(());
        }
        UserEvent::UserRenamed { name } => {
            let columns = [
                (users::Column::Name, Expr::value(name.as_str())),
                (
                    users::Column::NameFolded,
                    Expr::value(name.as_str().to_lowercase()),
                ),
            ];
            update(db, recorded, columns).await?;
        }
        UserEvent::UserEmailChanged { email } => {
            update(
                db,
                recorded,
                [(users::Column::Email, Expr::value(email.as_str()))],
            )
            .await?;
        }
        UserEvent::UserRoleChanged { role } => {
            update(
                db,
                recorded,
                [(users::Column::Role, Expr::value(role.as_str()))],
            )
            .await?;
        }
        UserEvent::UserSuspended { .. } => {
            set_status(db, recorded, UserStatus::Suspended).await?;
            count_members(db, organization_id, 0, -1).await?;
        }
        UserEvent::UserReactivated => {
            set_status(db, recorded, UserStatus::Active).await?;
            count_members(db, organization_id, 0, 1).await?;
        }
    }
    let profile = Arc::new(rows::load_user(db, id).await?);
    effects.cache.push(CacheUpdate::Put(profile.clone()));
    effects
        .changes
        .push(Change::of_user(recorded, member, Some(profile)));
    Ok(())
}

async fn update(
    db: &impl ConnectionTrait,
    recorded: &RecordedEvent,
    columns: impl IntoIterator<Item = (users::Column, SimpleExpr)>,
) -> Result<(), DbErr> {
    rows::update::<users::Entity>(db, &USER_ROWS, recorded.aggregate_id, recorded, columns).await
}

async fn set_status(
    db: &impl ConnectionTrait,
    recorded: &RecordedEvent,
    status: UserStatus,
) -> Result<(), DbErr> {
    update(
        db,
        recorded,
        [(users::Column::Status, Expr::value(status.as_str()))],
    )
    .await
}

/// Adds to an organization's member counts.
async fn count_members(
    db: &impl ConnectionTrait,
    id: Uuid,
    members: i32,
    active: i32,
) -> Result<(), DbErr> {
    let updated = organizations::Entity::update_many()
        .col_expr(
            organizations::Column::MemberCount,
            Expr::col(organizations::Column::MemberCount).add(members),
        )
        .col_expr(
            organizations::Column::ActiveMemberCount,
            Expr::col(organizations::Column::ActiveMemberCount).add(active),
        )
        .filter(organizations::Column::Id.eq(id))
        .exec(db)
        .await?;
    rows::expect_one(updated.rows_affected, "organization_profiles", id)
}
