//! The read tables, a batch at a time: the rows a batch's events name, loaded in one query
//! per table, and the batch's final rows written back in a few statements.

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter,
};
use uuid::Uuid;

use super::fold::Writes;
use crate::query::store::{
    organization_profiles as organizations, rows_with_ids, user_profiles as users,
};

/// Rows per `INSERT`: 15 columns each stays well inside both backends' bound on parameters.
const ROWS_PER_STATEMENT: usize = 500;

pub(super) async fn load(
    db: &impl ConnectionTrait,
    user_ids: Vec<Uuid>,
    organization_ids: Vec<Uuid>,
) -> Result<(Vec<users::Model>, Vec<organizations::Model>), DbErr> {
    let users = rows_with_ids::<users::Entity>(db, users::Column::Id, &user_ids).await?;
    let organizations =
        rows_with_ids::<organizations::Entity>(db, organizations::Column::Id, &organization_ids)
            .await?;
    Ok((users, organizations))
}

pub(in crate::query::projector) async fn store(
    db: &impl ConnectionTrait,
    writes: Writes,
) -> Result<(), DbErr> {
    for (organization_id, name, position) in writes.member_renames {
        users::Entity::update_many()
            .col_expr(users::Column::OrganizationName, Expr::value(name))
            .col_expr(users::Column::AppliedTx, Expr::value(position.tx))
            .col_expr(users::Column::AppliedSeq, Expr::value(position.seq))
            .filter(users::Column::OrganizationId.eq(organization_id))
            .exec(db)
            .await?;
    }
    if !writes.deleted_users.is_empty() {
        users::Entity::delete_many()
            .filter(users::Column::Id.is_in(writes.deleted_users))
            .exec(db)
            .await?;
    }
    for rows in writes.users.chunks(ROWS_PER_STATEMENT) {
        let rows = rows
            .iter()
            .cloned()
            .map(|row| row.into_active_model().reset_all());
        users::Entity::insert_many(rows)
            .on_conflict(replace_all::<users::Entity>(users::Column::Id))
            .exec_without_returning(db)
            .await?;
    }
    for rows in writes.organizations.chunks(ROWS_PER_STATEMENT) {
        let rows = rows
            .iter()
            .cloned()
            .map(|row| row.into_active_model().reset_all());
        organizations::Entity::insert_many(rows)
            .on_conflict(replace_all::<organizations::Entity>(
                organizations::Column::Id,
            ))
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// On a row that exists: every column takes the new row's value.
fn replace_all<E: EntityTrait>(key: E::Column) -> OnConflict {
    use sea_orm::{IdenStatic, Iterable};
    let columns = E::Column::iter().filter(|column| column.as_str() != key.as_str());
    OnConflict::column(key).update_columns(columns).to_owned()
}
