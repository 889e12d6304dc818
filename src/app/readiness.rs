//! Whether this instance can answer: both databases reachable, the projector running and
//! applying (or following) the log, and the read side no further behind the log than the
//! configured bound (a stalled projector, or none leading, serves stale reads). Parked
//! events make it degraded: ready (or not, as configured), saying why. Once shutdown has
//! started it is not ready, whatever else holds.

use std::time::Duration;

use sea_orm::DatabaseConnection;

use super::Draining;
use crate::query::ReadProgress;

/// How long a database may take to answer readiness's ping (a load balancer's probe
/// usually gives up after a second).
const PING_TIMEOUT: Duration = Duration::from_millis(800);

/// What parked events make of readiness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ParkedEventsReadiness {
    /// Ready, with the reason: every other aggregate is served and kept current.
    Degraded,
    /// Not ready.
    Unavailable,
}

/// What `/readyz` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Ready,
    /// Serving, with something an operator should see.
    Degraded(Vec<String>),
    Unavailable(Vec<String>),
}

/// The readiness check `/readyz` runs. It holds the handles it pings, so the HTTP layer
/// holds none.
#[derive(Clone)]
pub struct Readiness {
    command_db: DatabaseConnection,
    read_db: DatabaseConnection,
    progress: ReadProgress,
    /// The most the read side may trail the log.
    max_lag: Duration,
    parked_events: ParkedEventsReadiness,
    draining: Draining,
}

impl Readiness {
    pub fn new(
        command_db: DatabaseConnection,
        read_db: DatabaseConnection,
        progress: ReadProgress,
        max_lag: Duration,
        parked_events: ParkedEventsReadiness,
        draining: Draining,
    ) -> Self {
        Self {
            command_db,
            read_db,
            progress,
            max_lag,
            parked_events,
            draining,
        }
    }

    /// The shutdown it answers 503 for.
    pub fn draining(&self) -> &Draining {
        &self.draining
    }

    pub async fn verdict(&self) -> Verdict {
        if self.draining.has_started() {
            return Verdict::Unavailable(vec!["the instance is shutting down".to_owned()]);
        }
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        // Both at once, and no longer than a load balancer's probe waits.
        let (command_answers, read_answers) =
            tokio::join!(answers(&self.command_db), answers(&self.read_db));
        if !command_answers {
            problems.push("the command database does not answer".to_owned());
        }
        if !read_answers {
            problems.push("the read database does not answer".to_owned());
        }
        if !self.progress.projector_running() {
            problems.push("the projector is not running".to_owned());
        } else if let Some(problem) = self.progress.projector_problem() {
            problems.push(problem);
        }
        if command_answers && read_answers {
            match self.progress.status().await {
                Ok(status) if status.lag_seconds > self.max_lag.as_secs_f64() => {
                    problems.push(format!(
                        "the read side trails the event log by {:.1} s ({} events), more than \
                         the {:?} allowed (ROSTERQL_MAX_PROJECTION_LAG){}",
                        status.lag_seconds,
                        status.lag_events,
                        self.max_lag,
                        if status.leader.is_none() {
                            "; no instance leads the projector"
                        } else {
                            ""
                        },
                    ));
                }
                Ok(status) if status.parked_events > 0 => {
                    let parked = format!(
                        "the projector parked {} event(s) it cannot apply; their aggregates' \
                         read rows are behind (see parkedEvents, then retryParkedEvents)",
                        status.parked_events
                    );
                    match self.parked_events {
                        ParkedEventsReadiness::Degraded => warnings.push(parked),
                        ParkedEventsReadiness::Unavailable => problems.push(parked),
                    }
                }
                Ok(_) => {}
                Err(error) => problems.push(format!("cannot measure the projection lag: {error}")),
            }
        }
        match (problems.is_empty(), warnings.is_empty()) {
            (false, _) => Verdict::Unavailable(problems),
            (true, false) => Verdict::Degraded(warnings),
            (true, true) => Verdict::Ready,
        }
    }
}

/// Whether `db` answers a ping within [`PING_TIMEOUT`].
async fn answers(db: &DatabaseConnection) -> bool {
    matches!(
        tokio::time::timeout(PING_TIMEOUT, db.ping()).await,
        Ok(Ok(()))
    )
}
