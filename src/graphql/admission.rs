//! Write admission: a mutation waits while the read side trails this instance's writes by
//! more than a configured number of events, so the command side never accepts writes for
//! long faster than the projector applies them, and the read side's lag stays bounded at
//! any write rate. At ordinary rates the read side is a few events behind and nothing
//! waits. A projector that reports a problem (it is stuck, not busy) does not hold writes
//! up, and no write waits longer than [`MAX_WAIT`].

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use crate::event_log::Position;
use crate::query::ReadProgress;

/// The longest a write waits for the read side.
const MAX_WAIT: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct WriteAdmission {
    progress: ReadProgress,
    /// The log sequence number of the newest event this instance committed.
    committed: Arc<AtomicI64>,
    /// How many events the read side may trail this instance's writes by.
    max_ahead: i64,
}

impl WriteAdmission {
    pub fn new(progress: ReadProgress, max_ahead: u64) -> Self {
        Self {
            progress,
            committed: Arc::default(),
            max_ahead: i64::try_from(max_ahead).unwrap_or(i64::MAX),
        }
    }

    /// Returns once the read side is close enough behind this instance's writes (or
    /// [`MAX_WAIT`] has passed).
    pub async fn admit(&self) {
        let caught_up = self.committed.load(Ordering::Acquire) - self.max_ahead;
        if self.progress.applied().seq >= caught_up || self.progress.projector_problem().is_some() {
            return;
        }
        let started = Instant::now();
        let reached = self
            .progress
            .wait_until(|applied| applied.seq >= caught_up, MAX_WAIT)
            .await;
        let outcome = if reached { "caught_up" } else { "timed_out" };
        metrics::counter!("rosterql_write_admission_waits_total", "outcome" => outcome)
            .increment(1);
        metrics::histogram!("rosterql_write_admission_wait_duration_seconds")
            .record(started.elapsed().as_secs_f64());
    }

    /// Notes a write this instance committed at `position`.
    pub fn committed(&self, position: Position) {
        self.committed.fetch_max(position.seq, Ordering::AcqRel);
    }
}
