//! The event log: the command side appends to it (through its private store), the
//! projector and subscriptions read it here.
//!
//! Only domain events cross from the write side to the read side, and they cross here.
//! Events are ordered by [`Position`]. On Postgres a position is the writing transaction's
//! id plus the event's sequence number, and readers only see transactions below the oldest
//! one still running (see [`reader`]), so an event whose transaction commits late is never
//! skipped.

mod appended;
mod cluster;
mod position;
mod reader;

pub use appended::{APPENDED_CHANNEL, relay_commits};
pub use cluster::HorizonHolder;
pub use position::Position;

pub use reader::{Batch, EventLog, Lag, ReadEvent, UnreadableEvent, position_and_aggregate};

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::DomainEvent;

/// An event as the log holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedEvent {
    pub position: Position,
    pub aggregate_id: Uuid,
    pub aggregate_version: i32,
    pub event: DomainEvent,
    pub recorded_at: DateTime<Utc>,
}

/// Who caused an event and in which request; stored beside the payload.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EventMetadata {
    pub actor: Option<String>,
    pub request_id: Option<String>,
}
