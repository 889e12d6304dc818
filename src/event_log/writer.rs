//! Appending events, inside the command's own transaction.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use serde::Serialize;
use uuid::Uuid;

use super::Position;
use crate::domain::DomainEvent;

/// Who caused an event and in which request; stored beside the payload.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EventMetadata {
    pub actor: Option<String>,
    pub request_id: Option<String>,
}

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
pub async fn append(
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
    let metadata = serde_json::to_value(metadata).expect("metadata is plain data");
    let statement = Statement::from_sql_and_values(
        backend,
        sql,
        [
            event.aggregate_type().into(),
            aggregate_id.into(),
            version.into(),
            event.name().into(),
            event.to_json().into(),
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
