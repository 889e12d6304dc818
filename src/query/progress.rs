//! How far the read side has got: the position the projector last committed, for
//! consistency tokens and `readModel`, and the bounded wait for a position.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;
use sea_orm::DatabaseConnection;
use tokio::sync::watch;

use super::QueryError;
use super::projector::load_checkpoint;
use crate::event_log::{EventLog, Position};

/// `readModel`: the read side's position against the log's head.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadModelStatus {
    pub position: Position,
    pub head_position: Position,
    pub lag_events: i64,
    pub lag_seconds: f64,
    pub parked_events: i64,
}

/// The projector's side of its health: whether its last batch failed (it retries).
#[derive(Clone, Default)]
pub struct ProjectorHealth(Arc<AtomicBool>);

impl ProjectorHealth {
    pub fn report(&self, failing: bool) {
        self.0.store(failing, Ordering::Relaxed);
    }
}

#[derive(Clone)]
pub struct ReadProgress {
    applied: watch::Receiver<Position>,
    read_db: DatabaseConnection,
    log: EventLog,
    /// How long a read waits for a consistency token before giving up.
    consistency_timeout: Duration,
    health: ProjectorHealth,
}

impl ReadProgress {
    pub fn new(
        applied: watch::Receiver<Position>,
        read_db: DatabaseConnection,
        log: EventLog,
        consistency_timeout: Duration,
    ) -> Self {
        Self {
            applied,
            read_db,
            log,
            consistency_timeout,
            health: ProjectorHealth::default(),
        }
    }

    /// The handle the projector reports its health through.
    pub fn health(&self) -> ProjectorHealth {
        self.health.clone()
    }

    /// True while the projector's latest batch failed (it keeps retrying).
    pub fn projector_failing(&self) -> bool {
        self.health.0.load(Ordering::Relaxed)
    }

    /// The position this process's projector last committed.
    pub fn applied(&self) -> Position {
        *self.applied.borrow()
    }

    /// True while the projector that feeds this process runs (it owns the sending side).
    pub fn projector_running(&self) -> bool {
        self.applied.has_changed().is_ok()
    }

    /// Waits until the read side has applied `target` (a consistency token), at most the
    /// configured bound.
    pub async fn wait_for(&self, target: Position) -> Result<(), QueryError> {
        let mut applied = self.applied.clone();
        let reached = applied.wait_for(|position| *position >= target);
        match tokio::time::timeout(self.consistency_timeout, reached).await {
            Ok(Ok(_)) => Ok(()),
            // Timed out, or the projector stopped for good.
            Ok(Err(_)) | Err(_) => Err(QueryError::ConsistencyTimeout),
        }
    }

    pub async fn status(&self) -> Result<ReadModelStatus, QueryError> {
        let position = load_checkpoint(&self.read_db).await?;
        let lag = self.log.lag(position).await?;
        let lag_seconds = lag.oldest_pending_at.map_or(0.0, |oldest| {
            (Utc::now() - oldest)
                .num_microseconds()
                .unwrap_or(i64::MAX)
                .max(0) as f64
                / 1e6
        });
        Ok(ReadModelStatus {
            position,
            head_position: lag.head.max(position),
            lag_events: lag.events,
            lag_seconds,
            parked_events: 0,
        })
    }
}
