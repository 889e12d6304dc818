//! Row helpers shared by the event handlers: stamped updates and loads that must find a row.

use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::event_log::RecordedEvent;
use crate::query::store::{organization_profiles as organizations, user_profiles as users};
use crate::query::{OrganizationProfile, UserProfile};

/// A read table whose rows remember the event that last changed them.
pub(super) struct Stamped<C> {
    table: &'static str,
    id: C,
    version: C,
    updated_at: C,
    applied_tx: C,
    applied_seq: C,
}

pub(super) const USER_ROWS: Stamped<users::Column> = Stamped {
    table: "user_profiles",
    id: users::Column::Id,
    version: users::Column::Version,
    updated_at: users::Column::UpdatedAt,
    applied_tx: users::Column::AppliedTx,
    applied_seq: users::Column::AppliedSeq,
};

pub(super) const ORGANIZATION_ROWS: Stamped<organizations::Column> = Stamped {
    table: "organization_profiles",
    id: organizations::Column::Id,
    version: organizations::Column::Version,
    updated_at: organizations::Column::UpdatedAt,
    applied_tx: organizations::Column::AppliedTx,
    applied_seq: organizations::Column::AppliedSeq,
};

/// Sets `columns` on row `id`, stamped with the event's version, time and position.
pub(super) async fn update<E: EntityTrait>(
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
    expect_one(update.exec(db).await?.rows_affected, rows.table, id)
}

pub(super) fn expect_one(rows: u64, table: &str, id: Uuid) -> Result<(), DbErr> {
    if rows == 1 {
        Ok(())
    } else {
        Err(missing(table, id))
    }
}

fn missing(table: &str, id: Uuid) -> DbErr {
    DbErr::RecordNotFound(format!("{table} has no row {id}"))
}

pub(super) async fn load_user(db: &impl ConnectionTrait, id: Uuid) -> Result<UserProfile, DbErr> {
    let row = users::Entity::find_by_id(id).one(db).await?;
    UserProfile::try_from(row.ok_or_else(|| missing(USER_ROWS.table, id))?)
}

pub(super) async fn load_organization(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<OrganizationProfile, DbErr> {
    let row = organizations::Entity::find_by_id(id).one(db).await?;
    Ok(OrganizationProfile::from(
        row.ok_or_else(|| missing(ORGANIZATION_ROWS.table, id))?,
    ))
}
