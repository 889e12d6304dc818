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

use uuid::Uuid;

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
    columns: "aggregate_type, aggregate_id, aggregate_version, event_type,
        payload::text AS payload, recorded_at,
        tx_id < pg_snapshot_xmin(pg_current_snapshot()) AS settled",
    after: "(tx_id, position) > ($1::text::xid8, $2)",
};

const SQLITE: Dialect = Dialect {
    tx: "tx_id",
    columns: "aggregate_type, aggregate_id, aggregate_version, event_type, payload, recorded_at,
        1 AS settled",
    after: "(tx_id, position) > (?, ?)",
};

const IN_ORDER: &str = "ORDER BY tx_id, position";

/// Events read after a position.
#[derive(Debug, Default)]
pub struct Batch {
    /// Settled events this version can read, in order.
    pub events: Vec<RecordedEvent>,
    /// Settled events whose payload this version cannot read (an unknown event during a
    /// rolling deploy, a hand-edited row), in order; they are not in `events`.
    pub unreadable: Vec<UnreadableEvent>,
    /// True when an unsettled event stopped the batch: read again shortly.
    pub blocked: bool,
}

impl Batch {
    /// The position of the last event read, readable or not: where the next read starts.
    pub fn end(&self) -> Option<Position> {
        let last_event = self.events.last().map(|event| event.position);
        let last_unreadable = self.unreadable.last().map(|event| event.position);
        last_event.max(last_unreadable)
    }

    /// The batch without its events after `target`.
    pub fn up_to(mut self, target: Position) -> Self {
        self.events.retain(|event| event.position <= target);
        self.unreadable.retain(|event| event.position <= target);
        self
    }

    /// Every event read, readable or not, in log order.
    pub fn in_order(self) -> Vec<ReadEvent> {
        let mut all: Vec<ReadEvent> = self.events.into_iter().map(Ok).collect();
        all.extend(self.unreadable.into_iter().map(Err));
        all.sort_by_key(|event| match event {
            Ok(recorded) => recorded.position,
            Err(unreadable) => unreadable.position,
        });
        all
    }
}

/// An event in the log whose payload this version cannot decode, as far as its row says.
#[derive(Debug, Clone, PartialEq)]
pub struct UnreadableEvent {
    pub position: Position,
    pub aggregate_type: String,
    pub aggregate_id: Uuid,
    /// The name the row gives the event.
    pub event_type: String,
    pub error: String,
}

/// One event as read: decoded, or not readable by this version.
pub type ReadEvent = Result<RecordedEvent, UnreadableEvent>;

/// Where `event` stands in the log, and its aggregate: what a row says, readable or not.
pub fn position_and_aggregate(event: &ReadEvent) -> (Position, Uuid) {
    match event {
        Ok(recorded) => (recorded.position, recorded.aggregate_id),
        Err(unreadable) => (unreadable.position, unreadable.aggregate_id),
    }
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
            match decode(&row)? {
                Ok(event) => batch.events.push(event),
                Err(unreadable) => batch.unreadable.push(unreadable),
            }
        }
        Ok(batch)
    }

    /// The events at `positions` (those the log holds), in order.
    pub async fn read_at(&self, positions: &[Position]) -> Result<Vec<ReadEvent>, DbErr> {
        if positions.is_empty() {
            return Ok(Vec::new());
        }
        // A sequence number is unique in the log on its own.
        let backend = self.db.get_database_backend();
        let placeholders: Vec<String> = (1..=positions.len())
            .map(|n| match backend {
                DbBackend::Postgres => format!("${n}"),
                _ => format!("?{n}"),
            })
            .collect();
        let sql = format!(
            "SELECT {} AS tx, position AS seq, {} FROM events WHERE position IN ({}) {IN_ORDER}",
            self.dialect().tx,
            self.dialect().columns,
            placeholders.join(", ")
        );
        let seqs = positions.iter().map(|position| Value::from(position.seq));
        let statement = Statement::from_sql_and_values(backend, sql, seqs);
        let rows = self.db.query_all_raw(statement).await?;
        rows.iter().map(decode).collect()
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

/// The event on `row`; an error when the row cannot be read at all, an [`UnreadableEvent`]
/// when only its payload cannot be decoded.
fn decode(row: &QueryResult) -> Result<ReadEvent, DbErr> {
    let aggregate_type: String = row.try_get("", "aggregate_type")?;
    let payload: String = row.try_get("", "payload")?;
    let position = Position {
        tx: row.try_get("", "tx")?,
        seq: row.try_get("", "seq")?,
    };
    let aggregate_id = row.try_get("", "aggregate_id")?;
    let event = match DomainEvent::from_json(&aggregate_type, &payload) {
        Ok(event) => event,
        Err(error) => {
            return Ok(Err(UnreadableEvent {
                position,
                aggregate_type,
                aggregate_id,
                event_type: row.try_get("", "event_type")?,
                error: error.to_string(),
            }));
        }
    };
    Ok(Ok(RecordedEvent {
        position,
        aggregate_id,
        aggregate_version: row.try_get("", "aggregate_version")?,
        event,
        recorded_at: row.try_get("", "recorded_at")?,
    }))
}
