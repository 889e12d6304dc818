//! The write tables and the event log's writer, private to the command side.
//!
//! Each aggregate's table is loaded into its domain type and saved back with a version
//! guard: `UPDATE … WHERE id = ? AND version = ?` touches no row when another command got
//! there first, which the caller reports as a version conflict. The unique keys a client
//! can collide with are known here by name.

pub(in crate::command) mod events;
pub(in crate::command) mod idempotency;
mod organizations;
mod users;

use std::future::Future;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::sqlx::error::ErrorKind;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::db;
use crate::domain::{Aggregate, DomainEvent};

/// An aggregate the unit of work can load, decide on and save.
pub(in crate::command) trait StoredAggregate:
    Aggregate + Sized + Send + Sync
{
    /// The event as the log carries it.
    fn to_domain_event(&self, event: Self::Event) -> DomainEvent;

    /// The live aggregate with this id (a deleted user is gone).
    fn load(
        db: &impl ConnectionTrait,
        id: Uuid,
    ) -> impl Future<Output = Result<Option<Self>, DbErr>> + Send;

    fn insert(
        &self,
        db: &impl ConnectionTrait,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), DbErr>> + Send;

    /// Writes this state if the stored version is still `expected`; false when it was not.
    fn save(
        &self,
        db: &impl ConnectionTrait,
        expected: i32,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, DbErr>> + Send;
}

/// The columns every aggregate table has for its version guard.
struct Versioned<C> {
    id: C,
    version: C,
    updated_at: C,
}

/// `UPDATE … SET changed, version, updated_at WHERE id = ? AND version = expected`: false
/// when the row is no longer at `expected` (another command got there first).
async fn save_if_unchanged<E: EntityTrait>(
    db: &impl ConnectionTrait,
    columns: &Versioned<E::Column>,
    aggregate: &impl Aggregate,
    expected: i32,
    at: DateTime<Utc>,
    changed: impl IntoIterator<Item = (E::Column, SimpleExpr)>,
) -> Result<bool, DbErr> {
    let mut update = E::update_many()
        .col_expr(columns.version, Expr::value(aggregate.version()))
        .col_expr(columns.updated_at, Expr::value(at))
        .filter(columns.id.eq(aggregate.id()))
        .filter(columns.version.eq(expected));
    for (column, value) in changed {
        update = update.col_expr(column, value);
    }
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// A unique key of the write tables, known by its constraint's name (which Postgres
/// reports) and by its columns (which SQLite reports), with the input field it guards.
struct UniqueKey {
    constraint: &'static str,
    columns: &'static str,
    field: &'static str,
}

const UNIQUE_KEYS: [UniqueKey; 2] = [
    UniqueKey {
        constraint: "users_email_key",
        columns: "users.email",
        field: "email",
    },
    UniqueKey {
        constraint: "organizations_slug_key",
        columns: "organizations.slug",
        field: "slug",
    },
];

/// The input field whose unique key `error` violated, when it violated one of ours.
pub(in crate::command) fn taken_field(error: &DbErr) -> Option<&'static str> {
    let error = db::database_error(error)?;
    if error.kind() != ErrorKind::UniqueViolation {
        return None;
    }
    let columns = error.message().strip_prefix("UNIQUE constraint failed: ");
    UNIQUE_KEYS
        .iter()
        .find(|key| error.constraint() == Some(key.constraint) || columns == Some(key.columns))
        .map(|key| key.field)
}
