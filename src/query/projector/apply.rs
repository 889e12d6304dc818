//! One event's effect on the read tables, inside the batch's transaction.

use std::sync::Arc;

use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::Effects;
use crate::domain::{DomainEvent, MemberEvent, OrganizationEvent, UserEvent, UserStatus};
use crate::event_log::RecordedEvent;
use crate::query::cache::CacheUpdate;
use crate::query::changes::{Change, Subject};
use crate::query::store::{organization_profiles as organizations, user_profiles as users};
use crate::query::{OrganizationProfile, UserProfile};

pub async fn apply(
    db: &impl ConnectionTrait,
    recorded: &RecordedEvent,
    effects: &mut Effects,
) -> Result<(), DbErr> {
    let mut change = Change::describe(recorded);
    match (&recorded.event, &mut change.subject) {
        (DomainEvent::Organization(event), Subject::Organization { organization, .. }) => {
            let profile = apply_to_organization(db, recorded, event).await?;
            if matches!(event, OrganizationEvent::OrganizationRenamed { .. }) {
                effects
                    .cache
                    .push(CacheUpdate::RemoveMembersOf(recorded.aggregate_id));
            }
            *organization = Some(Arc::new(profile));
        }
        (DomainEvent::User(member), Subject::User { user, .. }) => {
            let profile = apply_to_user(db, recorded, member).await?.map(Arc::new);
            effects.cache.push(match &profile {
                Some(profile) => CacheUpdate::Put(profile.clone()),
                None => CacheUpdate::Remove(recorded.aggregate_id),
            });
            *user = profile;
        }
        _ => unreachable!("Change::describe keeps the event's aggregate"),
    }
    effects.changes.push(change);
    Ok(())
}

/// Empties every read table (for a rebuild).
pub async fn clear(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    users::Entity::delete_many().exec(db).await?;
    organizations::Entity::delete_many().exec(db).await?;
    Ok(())
}

async fn apply_to_organization(
    db: &impl ConnectionTrait,
    recorded: &RecordedEvent,
    event: &OrganizationEvent,
) -> Result<OrganizationProfile, DbErr> {
    let id = recorded.aggregate_id;
    let position = recorded.position;
    match event {
        OrganizationEvent::OrganizationCreated { slug, name } => {
            organizations::Entity::insert(organizations::ActiveModel {
                id: Set(id),
                slug: Set(slug.clone()),
                name: Set(name.clone()),
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
            let name_column = [(organizations::Column::Name, Expr::value(name.clone()))];
            update_row::<organizations::Entity>(db, &ORGANIZATION_ROWS, id, recorded, name_column)
                .await?;
            users::Entity::update_many()
                .col_expr(users::Column::OrganizationName, Expr::value(name.clone()))
                .col_expr(users::Column::AppliedTx, Expr::value(position.tx))
                .col_expr(users::Column::AppliedSeq, Expr::value(position.seq))
                .filter(users::Column::OrganizationId.eq(id))
                .exec(db)
                .await?;
        }
    }
    load_organization(db, id).await
}

async fn apply_to_user(
    db: &impl ConnectionTrait,
    recorded: &RecordedEvent,
    member: &MemberEvent,
) -> Result<Option<UserProfile>, DbErr> {
    let id = recorded.aggregate_id;
    let organization_id = member.organization_id;
    match &member.event {
        UserEvent::UserCreated { email, name, role } => {
            let organization = load_organization(db, organization_id).await?;
            let position = recorded.position;
            users::Entity::insert(users::ActiveModel {
                id: Set(id),
                organization_id: Set(organization_id),
                organization_slug: Set(organization.slug),
                organization_name: Set(organization.name),
                email: Set(email.clone()),
                name: Set(name.clone()),
                name_folded: Set(name.to_lowercase()),
                role: Set(role.as_str().to_owned()),
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
            let user = load_user(db, id).await?;
            users::Entity::delete_by_id(id).exec(db).await?;
            let was_active = i32::from(user.status == UserStatus::Active);
            count_members(db, organization_id, -1, -was_active).await?;
            return Ok(None);
        }
        UserEvent::UserRenamed { name } => {
            let columns = [
                (users::Column::Name, Expr::value(name.clone())),
                (users::Column::NameFolded, Expr::value(name.to_lowercase())),
            ];
            update_user(db, id, recorded, columns).await?;
        }
        UserEvent::UserEmailChanged { email } => {
            update_user(
                db,
                id,
                recorded,
                [(users::Column::Email, Expr::value(email.clone()))],
            )
            .await?;
        }
        UserEvent::UserRoleChanged { role } => {
            update_user(
                db,
                id,
                recorded,
                [(users::Column::Role, Expr::value(role.as_str()))],
            )
            .await?;
        }
        UserEvent::UserSuspended { .. } => {
            let status = UserStatus::Suspended.as_str();
            update_user(
                db,
                id,
                recorded,
                [(users::Column::Status, Expr::value(status))],
            )
            .await?;
            count_members(db, organization_id, 0, -1).await?;
        }
        UserEvent::UserReactivated => {
            let status = UserStatus::Active.as_str();
            update_user(
                db,
                id,
                recorded,
                [(users::Column::Status, Expr::value(status))],
            )
            .await?;
            count_members(db, organization_id, 0, 1).await?;
        }
    }
    load_user(db, id).await.map(Some)
}

/// A read table whose rows remember the event that last changed them.
struct Stamped<C> {
    table: &'static str,
    id: C,
    version: C,
    updated_at: C,
    applied_tx: C,
    applied_seq: C,
}

const USER_ROWS: Stamped<users::Column> = Stamped {
    table: "user_profiles",
    id: users::Column::Id,
    version: users::Column::Version,
    updated_at: users::Column::UpdatedAt,
    applied_tx: users::Column::AppliedTx,
    applied_seq: users::Column::AppliedSeq,
};

const ORGANIZATION_ROWS: Stamped<organizations::Column> = Stamped {
    table: "organization_profiles",
    id: organizations::Column::Id,
    version: organizations::Column::Version,
    updated_at: organizations::Column::UpdatedAt,
    applied_tx: organizations::Column::AppliedTx,
    applied_seq: organizations::Column::AppliedSeq,
};

/// Sets `columns` on row `id`, stamped with the event's version, time and position.
async fn update_row<E: EntityTrait>(
    db: &impl ConnectionTrait,
    rows: &Stamped<E::Column>,
    id: Uuid,
    recorded: &RecordedEvent,
    columns: impl IntoIterator<Item = (E::Column, SimpleExpr)>,
) -> Result<(), DbErr> {
    let mut update = E::update_many()
        .col_expr(rows.version, Expr::value(recorded.aggregate_version))
        .col_expr(rows.updated_at, Expr::value(recorded.recorded_at))
        .col_expr(rows.applied_tx, Expr::value(recorded.position.tx))
        .col_expr(rows.applied_seq, Expr::value(recorded.position.seq))
        .filter(rows.id.eq(id));
    for (column, value) in columns {
        update = update.col_expr(column, value);
    }
    expect_one_row(update.exec(db).await?.rows_affected, rows.table, id)
}

async fn update_user(
    db: &impl ConnectionTrait,
    id: Uuid,
    recorded: &RecordedEvent,
    columns: impl IntoIterator<Item = (users::Column, SimpleExpr)>,
) -> Result<(), DbErr> {
    update_row::<users::Entity>(db, &USER_ROWS, id, recorded, columns).await
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
    expect_one_row(updated.rows_affected, "organization_profiles", id)
}

fn expect_one_row(rows: u64, table: &str, id: Uuid) -> Result<(), DbErr> {
    if rows == 1 {
        Ok(())
    } else {
        Err(DbErr::RecordNotFound(format!("{table} has no row {id}")))
    }
}

async fn load_user(db: &impl ConnectionTrait, id: Uuid) -> Result<UserProfile, DbErr> {
    let row = users::Entity::find_by_id(id).one(db).await?;
    let row = row.ok_or_else(|| DbErr::RecordNotFound(format!("user_profiles has no row {id}")))?;
    UserProfile::try_from(row)
}

async fn load_organization(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<OrganizationProfile, DbErr> {
    let row = organizations::Entity::find_by_id(id).one(db).await?;
    let row =
        row.ok_or_else(|| DbErr::RecordNotFound(format!("organization_profiles has no row {id}")))?;
    Ok(OrganizationProfile::from(row))
}
