//! Appending to the event log, inside the command's own transaction. Only the command side
//! can reach this module: the read side reads the log through [`crate::event_log`].

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use uuid::Uuid;

use crate::domain::DomainEvent;
use crate::event_log::{EventMetadata, Position};

const APPEND_POSTGRES: &str = "INSERT INTO events
    (aggregate_type, aggregate_id, aggregate_version, event_type, payload, metadata, recorded_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
    RETURNING tx_id::text::bigint AS tx, position AS seq";

const APPEND_SQLITE: &str = "INSERT INTO events
    (aggregate_type, aggregate_id, aggregate_version, event_type, payload, metadata, recorded_at)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    RETURNING tx_id AS tx, position AS seq";

/// Appends `event` as version `version` of its aggregate. Runs on the caller's transaction,
/// so the event commits (or not) with the aggregate's new state. A second event for the same
/// aggregate version fails on the log's unique key.
pub(in crate::command) async fn append(
    txn: &impl ConnectionTrait,
    aggregate_id: Uuid,
    version: i32,
    event: &DomainEvent,
    metadata: &EventMetadata,
    recorded_at: DateTime<Utc>,
) -> Result<Position, DbErr> {
    let backend = txn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => APPEND_POSTGRES,
        _ => APPEND_SQLITE,
    };
    let unencodable = |error: serde_json::Error| DbErr::Json(error.to_string());
    let payload = event.to_json().map_err(unencodable)?;
    let metadata = serde_json::to_value(metadata).map_err(unencodable)?;
    let statement = Statement::from_sql_and_values(
        backend,
        sql,
        [
            event.aggregate_type().into(),
            aggregate_id.into(),
            version.into(),
            event.name().into(),
            payload.into(),
            metadata.into(),
            recorded_at.into(),
        ],
    );
    let row = txn
        .query_one_raw(statement)
        .await?
        .ok_or_else(|| DbErr::RecordNotInserted)?;
    Ok(Position {
        tx: row.try_get("", "tx")?,
        seq: row.try_get("", "seq")?,
    })
}
