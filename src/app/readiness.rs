//! Whether this instance can answer: both databases reachable and the projector running
//! and applying the log (a projector whose batches keep failing serves stale reads).

use sea_orm::DatabaseConnection;

use crate::query::ReadProgress;

/// The readiness check `/readyz` runs. It holds the handles it pings, so the HTTP layer
/// holds none.
#[derive(Clone)]
pub struct Readiness {
    command_db: DatabaseConnection,
    read_db: DatabaseConnection,
    progress: ReadProgress,
}

impl Readiness {
    pub fn new(
        command_db: DatabaseConnection,
        read_db: DatabaseConnection,
        progress: ReadProgress,
    ) -> Self {
        Self {
            command_db,
            read_db,
            progress,
        }
    }

    /// What keeps this instance from serving; empty when it is ready.
    pub async fn problems(&self) -> Vec<&'static str> {
        let mut problems = Vec::new();
        if self.command_db.ping().await.is_err() {
            problems.push("the command database does not answer");
        }
        if self.read_db.ping().await.is_err() {
            problems.push("the read database does not answer");
        }
        if !self.progress.projector_running() {
            problems.push("the projector is not running");
        } else if self.progress.projector_failing() {
            problems
                .push("the projector cannot apply the event log (it keeps retrying; see the log)");
        }
        problems
    }
}
