//! How far the read side has got: the position the projector last committed, for
//! consistency tokens and `readModel`, and the bounded wait for a position.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::Utc;
use sea_orm::DatabaseConnection;
use tokio::sync::watch;

use super::QueryError;
use super::projector::current_leader;
use crate::event_log::{EventLog, Position};

/// `readModel`: the read side's position against the log's head.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadModelStatus {
    pub position: Position,
    pub head_position: Position,
    pub lag_events: i64,
    pub lag_seconds: f64,
    pub parked_events: i64,
    /// This instance's name.
    pub instance: String,
    /// The instance whose projector applies the log; None while none does.
    pub leader: Option<String>,
}

/// The projector's side of its health: what keeps it from applying or following the log,
/// if anything (it retries).
#[derive(Clone, Default)]
pub struct ProjectorHealth(Arc<Mutex<Option<String>>>);

impl ProjectorHealth {
    /// Records what is wrong now (None: nothing); true when that is news (it went wrong
    /// or right since the last report), for logging only what changed.
    pub fn report(&self, problem: Option<String>) -> bool {
        let mut current = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let news = current.is_some() != problem.is_some();
        *current = problem;
        news
    }

    fn problem(&self) -> Option<String> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
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
    instance: String,
}

impl ReadProgress {
    pub fn new(
        applied: watch::Receiver<Position>,
        read_db: DatabaseConnection,
        log: EventLog,
        consistency_timeout: Duration,
        instance: String,
    ) -> Self {
        Self {
            applied,
            read_db,
            log,
            consistency_timeout,
            health: ProjectorHealth::default(),
            instance,
        }
    }

    /// The handle the projector reports its health through.
    pub fn health(&self) -> ProjectorHealth {
        self.health.clone()
    }

    /// What keeps the projector from applying or following the log (it keeps retrying).
    pub fn projector_problem(&self) -> Option<String> {
        self.health.problem()
    }

    /// The position this instance has applied (or, following the leader, mirrored).
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
        if self
            .wait_until(|position| *position >= target, self.consistency_timeout)
            .await
        {
            Ok(())
        } else {
            Err(QueryError::ConsistencyTimeout)
        }
    }

    /// Waits at most `bound` until the applied position satisfies `reached`; false when it
    /// did not in time (or the projector stopped for good).
    pub async fn wait_until(
        &self,
        reached: impl FnMut(&Position) -> bool,
        bound: Duration,
    ) -> bool {
        let mut applied = self.applied.clone();
        matches!(
            tokio::time::timeout(bound, applied.wait_for(reached)).await,
            Ok(Ok(_))
        )
    }

    pub async fn status(&self) -> Result<ReadModelStatus, QueryError> {
        let position = self.applied();
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
            parked_events: super::parked_events::count(&self.read_db).await?,
            instance: self.instance.clone(),
            leader: current_leader(&self.read_db, &self.instance).await?,
        })
    }
}
