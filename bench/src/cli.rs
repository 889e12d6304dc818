//! The command line: `rosterql-bench [--quick] [--out DIR] …` runs the benchmark;
//! `rosterql-bench ceiling …` is the ceiling server the benchmark starts as a process of its
//! own.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "rosterql-bench",
    about = "Benchmarks rosterql against its baselines and writes bench.json and bench.md"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Option<Internal>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Internal {
    /// The ceiling server (started by the benchmark itself).
    Ceiling {
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        bind: SocketAddr,
    },
}

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// A few seconds per scenario and a smaller data set (10,000 users), for development.
    #[arg(long)]
    pub quick: bool,
    /// Where bench.json, bench.md and the servers' logs go.
    #[arg(long, default_value = "bench-results")]
    pub out: PathBuf,
    /// Seconds each scenario is measured [default: 15, or 3 with --quick].
    #[arg(long)]
    pub seconds: Option<u64>,
    /// Seconds of the run at the highest write rate [default: 60, or 5 with --quick].
    #[arg(long)]
    pub max_rate_seconds: Option<u64>,
    /// Connections of the read scenarios.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Connections (workers) of the write scenarios, and pgbench's clients.
    #[arg(long, default_value_t = 16)]
    pub writers: usize,
    /// Users to seed [default: 100,000, or 10,000 with --quick].
    #[arg(long)]
    pub users: Option<u32>,
    /// Organizations to seed.
    #[arg(long, default_value_t = 100)]
    pub organizations: u32,
    /// Users to seed into SQLite [default: as many as into Postgres].
    #[arg(long)]
    pub sqlite_users: Option<u32>,
    /// The Postgres server, without a database name; each run creates its own database.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
    pub postgres: String,
    /// A rosterql binary to use instead of building the workspace's in release mode.
    #[arg(long)]
    pub rosterql_bin: Option<PathBuf>,
    /// Where PostGraphile and Node 22 are installed [default: ~/.cache/rosterql-bench/postgraphile].
    #[arg(long)]
    pub postgraphile_dir: Option<PathBuf>,
    /// Skip PostGraphile.
    #[arg(long)]
    pub no_postgraphile: bool,
    /// Skip the SQLite scenarios.
    #[arg(long)]
    pub no_sqlite: bool,
    /// Skip the 10,000-subscriber fan-out.
    #[arg(long)]
    pub no_fanout: bool,
    /// Keep the Postgres database and the SQLite file afterwards.
    #[arg(long)]
    pub keep_databases: bool,
}

/// The settings of one run, every default resolved.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub quick: bool,
    pub out: PathBuf,
    pub duration: Duration,
    pub warmup: Duration,
    pub max_rate_duration: Duration,
    pub connections: usize,
    pub writers: usize,
    pub users: u32,
    pub organizations: u32,
    pub sqlite_users: u32,
    pub postgres: String,
    pub rosterql_bin: Option<PathBuf>,
    pub postgraphile_dir: PathBuf,
    pub postgraphile: bool,
    pub sqlite: bool,
    pub fanout: bool,
    pub keep_databases: bool,
}

impl RunArgs {
    pub(crate) fn resolve(self) -> Options {
        let quick = self.quick;
        let users = self.users.unwrap_or(if quick { 10_000 } else { 100_000 });
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        Options {
            quick,
            out: self.out,
            duration: Duration::from_secs(self.seconds.unwrap_or(if quick { 3 } else { 15 })),
            warmup: Duration::from_millis(if quick { 500 } else { 2_000 }),
            max_rate_duration: Duration::from_secs(self.max_rate_seconds.unwrap_or(if quick {
                5
            } else {
                60
            })),
            connections: self.connections.max(1),
            writers: self.writers.max(1),
            users,
            organizations: self.organizations.max(1),
            sqlite_users: self.sqlite_users.unwrap_or(users),
            postgres: self.postgres,
            rosterql_bin: self.rosterql_bin,
            postgraphile_dir: self
                .postgraphile_dir
                .unwrap_or_else(|| home.join(".cache/rosterql-bench/postgraphile")),
            postgraphile: !self.no_postgraphile,
            sqlite: !self.no_sqlite,
            fanout: !self.no_fanout,
            keep_databases: self.keep_databases,
        }
    }
}
