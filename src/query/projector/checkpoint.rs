//! The projector's checkpoint, moved by compare-and-set in the batch's transaction.

use chrono::Utc;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, QueryFilter, QuerySelect,
};

use crate::event_log::Position;
use crate::query::store::checkpoints::{ActiveModel, Column, Entity, Model};

/// The read model's projector, by name in `projector_checkpoints`.
const PROJECTOR_NAME: &str = "read_model";

/// The checkpoint: the last event applied, and the log it counts in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub position: Position,
    pub log_identity: Option<String>,
}

pub async fn load(db: &impl ConnectionTrait) -> Result<Checkpoint, DbErr> {
    let row = Entity::find_by_id(PROJECTOR_NAME.to_owned())
        .one(db)
        .await?;
    Ok(Checkpoint::from(row))
}

/// Takes the checkpoint's row for the rest of `txn` and returns the checkpoint: until `txn`
/// ends, a projector's next batch waits for it (on SQLite the write transaction holds the
/// whole database already), so the read tables stay the log folded up to it.
pub(super) async fn hold(txn: &DatabaseTransaction) -> Result<Checkpoint, DbErr> {
    let mut select = Entity::find_by_id(PROJECTOR_NAME.to_owned());
    if txn.get_database_backend() == DbBackend::Postgres {
        select = select.lock_exclusive();
    }
    match select.one(txn).await? {
        Some(row) => Ok(Checkpoint::from(Some(row))),
        None => {
            // Nothing projected yet: the row made here is held the same way.
            advance(txn, Position::ORIGIN, Position::ORIGIN).await?;
            Ok(Checkpoint::from(None))
        }
    }
}

impl From<Option<Model>> for Checkpoint {
    fn from(row: Option<Model>) -> Self {
        match row {
            Some(row) => Self {
                position: Position {
                    tx: row.tx,
                    seq: row.seq,
                },
                log_identity: row.log_identity,
            },
            None => Self {
                position: Position::ORIGIN,
                log_identity: None,
            },
        }
    }
}

/// Records the identity of the log the checkpoint counts in (before its first batch, or
/// when a checkpoint older than identities gets one).
pub(super) async fn record_log_identity(
    db: &impl ConnectionTrait,
    identity: &str,
) -> Result<(), DbErr> {
    Entity::insert(ActiveModel {
        projector: Set(PROJECTOR_NAME.to_owned()),
        tx: Set(0),
        seq: Set(0),
        updated_at: Set(Utc::now()),
        log_identity: Set(Some(identity.to_owned())),
    })
    .on_conflict(
        OnConflict::column(Column::Projector)
            .update_column(Column::LogIdentity)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Moves the checkpoint from `from` to `to`; fails when it is no longer at `from` (another
/// projector moved it), which rolls the whole batch back.
pub(super) async fn advance(
    db: &impl ConnectionTrait,
    from: Position,
    to: Position,
) -> Result<(), DbErr> {
    let moved = Entity::update_many()
        .col_expr(Column::Tx, Expr::value(to.tx))
        .col_expr(Column::Seq, Expr::value(to.seq))
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(Column::Projector.eq(PROJECTOR_NAME))
        .filter(Column::Tx.eq(from.tx))
        .filter(Column::Seq.eq(from.seq))
        .exec(db)
        .await?;
    if moved.rows_affected == 1 {
        return Ok(());
    }
    if from == Position::ORIGIN && load(db).await?.position == Position::ORIGIN {
        // The first batch ever: there is no row yet. A racing first insert fails on the key.
        Entity::insert(ActiveModel {
            projector: Set(PROJECTOR_NAME.to_owned()),
            tx: Set(to.tx),
            seq: Set(to.seq),
            updated_at: Set(Utc::now()),
            log_identity: Set(None),
        })
        .exec_without_returning(db)
        .await?;
        return Ok(());
    }
    Err(DbErr::Custom(format!(
        "projector checkpoint is no longer at {from}: another projector advanced it"
    )))
}

/// Puts the checkpoint back to the origin of the log `identity` names (for a rebuild);
/// returns it.
pub(super) async fn reset(
    db: &impl ConnectionTrait,
    identity: Option<&str>,
) -> Result<Position, DbErr> {
    Entity::insert(ActiveModel {
        projector: Set(PROJECTOR_NAME.to_owned()),
        tx: Set(0),
        seq: Set(0),
        updated_at: Set(Utc::now()),
        log_identity: Set(identity.map(str::to_owned)),
    })
    .on_conflict(
        OnConflict::column(Column::Projector)
            .update_columns([
                Column::Tx,
                Column::Seq,
                Column::UpdatedAt,
                Column::LogIdentity,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(Position::ORIGIN)
}
