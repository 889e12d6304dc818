//! Everything a run measured, as written to `bench.json`: one [`Run`] per load scenario
//! (keyed by its id), the one-off timings (seeding, catch-up, rebuild, pgbench) and the
//! run's settings. The Markdown report and the target checks are computed from this.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::fanout::FanoutResult;
use crate::gql::CatchUp;
use crate::lag::{Drain, LagSummary, SubscriberStats};
use crate::load::LoadSummary;
use crate::meter::Usage;
use crate::pgbench::PgbenchResult;

/// One measured load scenario.
#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct Run {
    /// What it measures, in words.
    pub title: String,
    /// The server under test: rosterql, ceiling, postgraphile.
    pub server: String,
    pub reads: Option<LoadSummary>,
    pub writes: Option<LoadSummary>,
    /// The rate writes were paced at (None: as fast as answered).
    pub write_rate: Option<f64>,
    pub lag: Option<LagSummary>,
    pub drain: Option<Drain>,
    pub subscriber: Option<SubscriberStats>,
    pub usage: Usage,
    /// The read side's backlog from earlier scenarios, worked off before this one started.
    pub settled: Option<CatchUp>,
}

/// A figure that could not be measured, and why.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub(crate) enum Maybe<T> {
    Measured(T),
    Unavailable { unavailable: String },
}

impl<T> Maybe<T> {
    pub(crate) fn from_result(result: anyhow::Result<T>) -> Self {
        match result {
            Ok(value) => Self::Measured(value),
            Err(error) => Self::Unavailable {
                unavailable: format!("{error:#}"),
            },
        }
    }

    pub(crate) fn measured(&self) -> Option<&T> {
        match self {
            Self::Measured(value) => Some(value),
            Self::Unavailable { .. } => None,
        }
    }
}

/// `rosterql rebuild-projections` on the seeded database, beside the serving server.
#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct Rebuild {
    pub events: i64,
    pub seconds: f64,
    pub events_per_second: f64,
    /// Pages of users read back to back from the read tables while it ran.
    pub reads: u64,
    /// The slowest of them: the longest a read waited (for the swap, at worst).
    pub slowest_read_ms: f64,
}

/// One backend's figures.
#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct Backend {
    pub users: u32,
    pub organizations: u32,
    pub seed_seconds: f64,
    /// The projector catching up on the seed (it did not run while seeding).
    pub initial_catch_up: Option<CatchUp>,
    /// Reading every user once from a cold cache, 64 connections.
    pub cold_sweep: Option<LoadSummary>,
    pub runs: BTreeMap<String, Run>,
    /// rosterql's peak resident set over all its scenarios.
    pub peak_rss_mib: Option<f64>,
    pub notes: Vec<String>,
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Results {
    pub started_at: String,
    pub quick: bool,
    pub seconds_per_scenario: f64,
    pub warmup_seconds: f64,
    pub max_rate_seconds: f64,
    pub connections: usize,
    pub writers: usize,
    pub cores: usize,
    pub git_commit: Option<String>,
    pub postgres: Backend,
    pub pgbench: Option<Maybe<PgbenchResult>>,
    /// The same transaction with a `pg_notify` inside it (reported, no target).
    pub pgbench_with_notify: Option<Maybe<PgbenchResult>>,
    /// The projector catching up on pgbench's events after being stopped during it.
    pub catch_up_after_pgbench: Option<Maybe<CatchUp>>,
    pub rebuild: Option<Maybe<Rebuild>>,
    pub postgraphile: Option<Maybe<String>>,
    pub fanout: Option<Maybe<FanoutResult>>,
    pub sqlite: Option<Maybe<Backend>>,
}
