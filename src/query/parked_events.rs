//! The events the projector parked, as readers see them: how many, a page of them in log
//! order, which of a run of events are among them (a change rebuilt from the log is never
//! published for an event the read side set aside), and the retry that applies them once
//! their cause is fixed.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::QueryError;
use super::cache::UserCache;
use super::changes::ChangeFeed;
use super::pagination::{Ordering, Page, PageRequest, fetch_page};
use super::projector::{Retried, retry_parked};
use super::store::parked_events::{Column, Entity, Model};
use crate::event_log::{EventLog, Position, RecordedEvent};

/// One parked event.
#[derive(Debug, Clone, PartialEq)]
pub struct ParkedEvent {
    pub position: Position,
    pub aggregate_id: Uuid,
    pub event: String,
    pub error: String,
    pub attempts: i32,
    pub parked_at: DateTime<Utc>,
}

impl From<Model> for ParkedEvent {
    fn from(row: Model) -> Self {
        Self {
            position: Position {
                tx: row.tx,
                seq: row.seq,
            },
            aggregate_id: row.aggregate_id,
            event: row.event,
            error: row.error,
            attempts: row.attempts,
            parked_at: row.parked_at,
        }
    }
}

#[derive(Clone)]
pub struct ParkedEvents {
    reads: DatabaseConnection,
    writes: DatabaseConnection,
    log: EventLog,
    cache: Arc<UserCache>,
    feed: ChangeFeed,
}

impl ParkedEvents {
    pub fn new(
        reads: DatabaseConnection,
        writes: DatabaseConnection,
        log: EventLog,
        cache: Arc<UserCache>,
        feed: ChangeFeed,
    ) -> Self {
        Self {
            reads,
            writes,
            log,
            cache,
            feed,
        }
    }

    /// A page of parked events, in the order they were appended to the log.
    pub async fn page(&self, request: &PageRequest) -> Result<Page<ParkedEvent>, QueryError> {
        let ordering = Ordering {
            name: "POSITION",
            key: Column::Seq,
            id: Column::AggregateId,
            ascending: true,
        };
        fetch_page(
            &self.reads,
            Entity::find(),
            &ordering,
            request,
            // A sequence number is unique in the log: the aggregate only fills the id slot.
            |row: &Model| (row.seq.to_string(), row.aggregate_id),
            |text| text.parse::<i64>().ok().map(Into::into),
            |row| Ok(ParkedEvent::from(row)),
        )
        .await
    }

    /// The positions of those of `events` that are parked (one query).
    pub(crate) async fn among(
        &self,
        events: &[&RecordedEvent],
    ) -> Result<HashSet<Position>, QueryError> {
        if events.is_empty() {
            return Ok(HashSet::new());
        }
        let aggregates: HashSet<Uuid> = events.iter().map(|event| event.aggregate_id).collect();
        let rows = Entity::find()
            .filter(Column::AggregateId.is_in(aggregates))
            .all(&self.reads)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| Position {
                tx: row.tx,
                seq: row.seq,
            })
            .collect())
    }

    /// Re-applies the parked events of `aggregate` (all for None), in log order; this
    /// instance drops its cache and catches its listeners up when any landed (the others
    /// hear of it).
    pub async fn retry(&self, aggregate: Option<Uuid>) -> Result<Retried, QueryError> {
        let retried = retry_parked(&self.log, &self.writes, aggregate).await?;
        if retried.retried > 0 {
            self.cache.clear().await;
            self.feed.resync();
        }
        Ok(retried)
    }
}

/// How many events are parked.
pub(super) async fn count(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    use sea_orm::PaginatorTrait;
    Ok(Entity::find().count(db).await? as i64)
}
