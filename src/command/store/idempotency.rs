//! The `idempotency_keys` table: a claim taken first in a command's transaction, the
//! outcome written last, both committed (or not) with the command.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};
use uuid::Uuid;

use crate::command::{CommandOutcome, IdempotencyClaim};
use crate::event_log::Position;

const CLAIM: &str = "INSERT INTO idempotency_keys (caller, key, field, request_hash, created_at)
    VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING";
const COMPLETE: &str = "UPDATE idempotency_keys
    SET aggregate_id = $1, version = $2, position_tx = $3, position_seq = $4
    WHERE caller = $5 AND key = $6 AND field = $7";
const FIND: &str = "SELECT request_hash, aggregate_id, version, position_tx, position_seq
    FROM idempotency_keys WHERE caller = $1 AND key = $2 AND field = $3";
const PURGE: &str = "DELETE FROM idempotency_keys WHERE created_at < $1";

/// What a key holds: the hash of the request it came with, and the outcome of its command.
pub(in crate::command) struct Stored {
    pub(in crate::command) request_hash: String,
    pub(in crate::command) outcome: Option<CommandOutcome>,
}

/// `sql` (written with Postgres' `$n`) in the dialect of `db`: SQLite reads `?n`.
fn statement(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    let backend = db.get_database_backend();
    match backend {
        DbBackend::Postgres => Statement::from_sql_and_values(backend, sql, values),
        _ => Statement::from_sql_and_values(backend, sql.replace('$', "?"), values),
    }
}

fn key_values(claim: &IdempotencyClaim) -> [Value; 3] {
    [
        claim.caller.clone().into(),
        claim.key.clone().into(),
        claim.field.clone().into(),
    ]
}

/// Takes `claim` for this transaction; false when the key is already taken (on Postgres,
/// after waiting for a transaction still holding it to end).
pub(in crate::command) async fn claim(
    txn: &impl ConnectionTrait,
    claim: &IdempotencyClaim,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let mut values = key_values(claim).to_vec();
    values.extend([claim.request_hash.clone().into(), at.into()]);
    let inserted = txn.execute_raw(statement(txn, CLAIM, values)).await?;
    Ok(inserted.rows_affected() == 1)
}

/// Records `outcome` as the claimed key's.
pub(in crate::command) async fn complete(
    txn: &impl ConnectionTrait,
    claim: &IdempotencyClaim,
    outcome: &CommandOutcome,
) -> Result<(), DbErr> {
    let mut values: Vec<Value> = vec![
        outcome.aggregate_id.into(),
        outcome.version.into(),
        outcome.position.tx.into(),
        outcome.position.seq.into(),
    ];
    values.extend(key_values(claim));
    txn.execute_raw(statement(txn, COMPLETE, values)).await?;
    Ok(())
}

/// What the key of `claim` holds, if it is taken.
pub(in crate::command) async fn find(
    db: &impl ConnectionTrait,
    claim: &IdempotencyClaim,
) -> Result<Option<Stored>, DbErr> {
    let row = db
        .query_one_raw(statement(db, FIND, key_values(claim).to_vec()))
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let aggregate_id: Option<Uuid> = row.try_get("", "aggregate_id")?;
    let version: Option<i32> = row.try_get("", "version")?;
    let tx: Option<i64> = row.try_get("", "position_tx")?;
    let seq: Option<i64> = row.try_get("", "position_seq")?;
    let outcome = match (aggregate_id, version, tx, seq) {
        (Some(aggregate_id), Some(version), Some(tx), Some(seq)) => Some(CommandOutcome {
            aggregate_id,
            version,
            position: Position { tx, seq },
        }),
        _ => None,
    };
    Ok(Some(Stored {
        request_hash: row.try_get("", "request_hash")?,
        outcome,
    }))
}

/// Forgets the keys taken before `before`; returns how many.
pub(in crate::command) async fn purge(
    db: &impl ConnectionTrait,
    before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let deleted = db
        .execute_raw(statement(db, PURGE, vec![before.into()]))
        .await?;
    Ok(deleted.rows_affected())
}
