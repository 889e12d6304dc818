//! Reading the log in position order, never past an event that could still be overtaken.
//!
//! Postgres hands out sequence values at insert and makes them visible at commit, so a
//! transaction that started first can commit after a later position is already visible.
//! Every event stores the id of its transaction (`tx_id xid8`); an event is *settled* once
//! its transaction is older than the oldest transaction still running
//! (`pg_snapshot_xmin(pg_current_snapshot())`): from then on no event can appear before it.
//! Readers order by `(tx_id, position)` and stop at the first unsettled event.
//! SQLite has one writer at a time, so every visible event is settled.

use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, QueryResult, Statement, Value,
};

use super::{Position, RecordedEvent};
use crate::domain::DomainEvent;

/// The SQL that differs between the backends.
struct Dialect {
    /// The event's transaction as a bigint.
    tx: &'static str,
    /// Other columns of a read, with `settled`.
    columns: &'static str,
    /// Events after the position bound as (tx, seq).
    after: &'static str,
}

const POSTGRES: Dialect = Dialect {
    tx: "tx_id::text::bigint",
    columns: "aggregate_type, aggregate_id, aggregate_version, payload::text AS payload,
        recorded_at, tx_id < pg_snapshot_xmin(pg_current_snapshot()) AS settled",
    after: "(tx_id, position) > ($1::text::xid8, $2)",
};

const SQLITE: Dialect = Dialect {
    tx: "tx_id",
    columns: "aggregate_type, aggregate_id, aggregate_version, payload, recorded_at, 1 AS settled",
    after: "(tx_id, position) > (?, ?)",
};

const IN_ORDER: &str = "ORDER BY tx_id, position";

/// Events read after a position.
#[derive(Debug, Default)]
pub struct Batch {
    /// Settled events, in order.
    pub events: Vec<RecordedEvent>,
    /// True when an unsettled event stopped the batch: read again shortly.
    pub blocked: bool,
}

/// How far a reader at some position trails the log.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lag {
    pub head: Position,
    pub events: i64,
    pub oldest_pending_at: Option<DateTime<Utc>>,
}

/// Read access to the event log.
#[derive(Clone)]
pub struct EventLog {
    db: DatabaseConnection,
}

impl EventLog {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    pub(super) fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    fn dialect(&self) -> &'static Dialect {
        match self.db.get_database_backend() {
            DbBackend::Postgres => &POSTGRES,
            _ => &SQLITE,
        }
    }

    /// A statement over the events after `after`; `sql` writes it from the dialect.
    fn after(&self, after: Position, sql: impl FnOnce(&Dialect) -> String) -> Statement {
        let backend = self.db.get_database_backend();
        let tx: Value = match backend {
            DbBackend::Postgres => after.tx.to_string().into(),
            _ => after.tx.into(),
        };
        Statement::from_sql_and_values(backend, sql(self.dialect()), [tx, after.seq.into()])
    }

    /// Up to `limit` settled events after `after`, in order.
    pub async fn read_after(&self, after: Position, limit: u64) -> Result<Batch, DbErr> {
        let statement = self.after(after, |d| {
            format!(
                "SELECT {} AS tx, position AS seq, {} FROM events WHERE {} {IN_ORDER} LIMIT {limit}",
                d.tx, d.columns, d.after
            )
        });
        let mut batch = Batch::default();
        for row in self.db.query_all_raw(statement).await? {
            if !row.try_get::<bool>("", "settled")? {
                batch.blocked = true;
                break;
            }
            batch.events.push(decode(&row)?);
        }
        Ok(batch)
    }

    /// The position of the last committed event (the origin for an empty log).
    pub async fn head(&self) -> Result<Position, DbErr> {
        let sql = format!(
            "SELECT {} AS tx, position AS seq FROM events ORDER BY tx_id DESC, position DESC LIMIT 1",
            self.dialect().tx
        );
        let backend = self.db.get_database_backend();
        let row = self
            .db
            .query_one_raw(Statement::from_string(backend, sql))
            .await?;
        match row {
            Some(row) => Ok(Position {
                tx: row.try_get("", "tx")?,
                seq: row.try_get("", "seq")?,
            }),
            None => Ok(Position::ORIGIN),
        }
    }

    /// How far a reader at `after` trails the log.
    pub async fn lag(&self, after: Position) -> Result<Lag, DbErr> {
        let head = self.head().await?;
        let count = self.after(after, |d| {
            format!("SELECT count(*) AS pending FROM events WHERE {}", d.after)
        });
        let events: i64 = match self.db.query_one_raw(count).await? {
            Some(row) => row.try_get("", "pending")?,
            None => 0,
        };
        let oldest = self.after(after, |d| {
            format!(
                "SELECT recorded_at FROM events WHERE {} {IN_ORDER} LIMIT 1",
                d.after
            )
        });
        let oldest_pending_at = match self.db.query_one_raw(oldest).await? {
            Some(row) => Some(row.try_get("", "recorded_at")?),
            None => None,
        };
        Ok(Lag {
            head,
            events,
            oldest_pending_at,
        })
    }
}

fn decode(row: &QueryResult) -> Result<RecordedEvent, DbErr> {
    let aggregate_type: String = row.try_get("", "aggregate_type")?;
    let payload: String = row.try_get("", "payload")?;
    let event = DomainEvent::from_json(&aggregate_type, &payload)
        .map_err(|error| DbErr::Custom(error.to_string()))?;
    Ok(RecordedEvent {
        position: Position {
            tx: row.try_get("", "tx")?,
            seq: row.try_get("", "seq")?,
        },
        aggregate_id: row.try_get("", "aggregate_id")?,
        aggregate_version: row.try_get("", "aggregate_version")?,
        event,
        recorded_at: row.try_get("", "recorded_at")?,
    })
}
