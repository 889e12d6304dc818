//! `ParkedEvent`: an event the projector could not apply and set aside, and what a retry of
//! parked events did.

use std::sync::Arc;

use async_graphql::{ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::query::ParkedEvent as Parked;
use crate::query::projector::Retried;

pub(crate) struct ParkedEvent(pub Arc<Parked>);

#[Object]
impl ParkedEvent {
    /// Its place in the event log.
    async fn position(&self) -> String {
        self.0.position.to_string()
    }
    async fn aggregate_id(&self) -> ID {
        ID(self.0.aggregate_id.to_string())
    }
    /// The event's name, as the log records it.
    async fn event(&self) -> &str {
        &self.0.event
    }
    /// Why it was parked.
    async fn error(&self) -> &str {
        &self.0.error
    }
    /// How often it was tried (0: it waits behind an earlier parked event of its aggregate).
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    async fn parked_at(&self) -> DateTime<Utc> {
        self.0.parked_at
    }
}

#[derive(SimpleObject)]
pub(crate) struct RetryParkedEventsPayload {
    /// Events applied and taken off the parked list.
    retried: i32,
    /// Events of the aggregates asked for that are still parked.
    still_parked: i32,
}

impl From<Retried> for RetryParkedEventsPayload {
    fn from(retried: Retried) -> Self {
        Self {
            retried: i32::try_from(retried.retried).unwrap_or(i32::MAX),
            still_parked: i32::try_from(retried.still_parked).unwrap_or(i32::MAX),
        }
    }
}
