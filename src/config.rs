//! Settings, from command-line flags and the matching environment variables, and the
//! check that refuses at start the ones the server cannot run with.

use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::auth::{MIN_SECRET_BYTES, Role};
use crate::graphql::{MAX_BATCH, QueryLimits};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://rosterql.db?mode=rwc";

#[derive(Debug, Parser)]
#[command(name = "rosterql", version, about = "A CQRS GraphQL user directory")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub config: Config,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Run migrations, start the projector and the HTTP server (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Print the GraphQL SDL.
    Schema,
    /// Print a signed bearer token for the configured secret.
    Token {
        #[arg(long, value_enum)]
        role: Role,
        /// How long the token is valid, e.g. `30m`, `1h`, `7d`.
        #[arg(long, default_value = "1h")]
        ttl: humantime::Duration,
        /// The token's subject (recorded as the actor of the commands it runs).
        #[arg(long, default_value = "rosterql-cli")]
        sub: String,
    },
    /// Rebuild every read table from the event log, then swap it in (running instances on
    /// Postgres drop their caches; on SQLite stop the server first).
    RebuildProjections,
    /// Fill the database through the command side.
    Seed {
        #[arg(long, default_value_t = 3)]
        organizations: u32,
        /// Users in all, spread evenly over the organizations.
        #[arg(long, default_value_t = 30)]
        users: u32,
    },
}

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// The command (write) database.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,
    /// The projection (read) database [default: the command database].
    #[arg(long, env = "READ_DATABASE_URL", global = true)]
    pub read_database_url: Option<String>,
    /// The listen address.
    #[arg(
        long,
        env = "ROSTERQL_BIND",
        default_value = "127.0.0.1:8000",
        global = true
    )]
    pub bind: SocketAddr,
    /// HS256 secret for bearer tokens, at least 32 bytes [default: a random secret per
    /// start].
    #[arg(
        long,
        env = "ROSTERQL_JWT_SECRET",
        hide_env_values = true,
        global = true
    )]
    pub jwt_secret: Option<String>,
    /// How long a request with X-Consistency-Token waits for the read side.
    #[arg(
        long,
        env = "ROSTERQL_CONSISTENCY_TIMEOUT",
        default_value = "5s",
        global = true
    )]
    pub consistency_timeout: humantime::Duration,
    /// How often the projector looks for events it was not woken for.
    #[arg(
        long,
        env = "ROSTERQL_PROJECTOR_POLL",
        default_value = "250ms",
        global = true
    )]
    pub projector_poll: humantime::Duration,
    /// How many changes a slow subscriber may fall behind before it catches up from the log.
    #[arg(
        long,
        env = "ROSTERQL_CHANGE_BUFFER",
        default_value_t = 4096,
        global = true
    )]
    pub change_buffer: usize,
    /// How many user profiles the cache holds.
    #[arg(
        long,
        env = "ROSTERQL_CACHE_CAPACITY",
        default_value_t = 100_000,
        global = true
    )]
    pub cache_capacity: u64,
    /// This instance's name, in `readModel`, the log and Postgres' `pg_stat_activity`
    /// [default: <hostname>:<pid>].
    #[arg(long, env = "ROSTERQL_INSTANCE", global = true)]
    pub instance: Option<String>,
    /// How often an instance tries to take the projector's lead, and the leader checks it
    /// still holds it: a dead leader is replaced within about this long (Postgres).
    #[arg(
        long,
        env = "ROSTERQL_LEADER_RETRY",
        default_value = "1s",
        global = true
    )]
    pub leader_retry: humantime::Duration,
    /// `/readyz` answers 503 while the oldest event not yet applied is older than this.
    #[arg(
        long,
        env = "ROSTERQL_MAX_PROJECTION_LAG",
        default_value = "30s",
        global = true
    )]
    pub max_projection_lag: humantime::Duration,
    /// How long a request waits for a database connection before SERVICE_UNAVAILABLE.
    #[arg(
        long,
        env = "ROSTERQL_DATABASE_TIMEOUT",
        default_value = "5s",
        global = true
    )]
    pub database_timeout: humantime::Duration,
    /// How many events the read side may trail an instance's writes by before its
    /// mutations wait for it (at most a second each): the bound on projection lag at write
    /// rates above what the projector keeps up with.
    #[arg(
        long,
        env = "ROSTERQL_MAX_WRITE_AHEAD",
        default_value_t = 1000,
        global = true
    )]
    pub max_write_ahead: u64,
    /// The most operations one batched request may carry (at most 10).
    #[arg(long, env = "ROSTERQL_MAX_BATCH", default_value_t = 10, global = true)]
    pub max_batch: usize,
    /// The most bytes of query text one operation may have.
    #[arg(
        long,
        env = "ROSTERQL_MAX_QUERY_BYTES",
        default_value_t = 65_536,
        global = true
    )]
    pub max_query_bytes: usize,
    /// The deepest a query may nest fields in fields.
    #[arg(long, env = "ROSTERQL_MAX_DEPTH", default_value_t = 20, global = true)]
    pub max_depth: usize,
    /// The highest cost a query may have: each field costs 1 plus what it selects, and a
    /// connection its page size times what each row selects.
    #[arg(
        long,
        env = "ROSTERQL_MAX_COMPLEXITY",
        default_value_t = 10_000,
        global = true
    )]
    pub max_complexity: usize,
    /// The most aliased fields one query may have.
    #[arg(
        long,
        env = "ROSTERQL_MAX_ALIASES",
        default_value_t = 30,
        global = true
    )]
    pub max_aliases: usize,
    /// The most fields at the root of one operation.
    #[arg(
        long,
        env = "ROSTERQL_MAX_ROOT_FIELDS",
        default_value_t = 20,
        global = true
    )]
    pub max_root_fields: usize,
    /// The most directives one query may have.
    #[arg(
        long,
        env = "ROSTERQL_MAX_DIRECTIVES",
        default_value_t = 20,
        global = true
    )]
    pub max_directives: usize,
    /// How long one request over HTTP may run before it is answered SERVICE_UNAVAILABLE.
    #[arg(
        long,
        env = "ROSTERQL_EXECUTION_TIMEOUT",
        default_value = "30s",
        global = true
    )]
    pub execution_timeout: humantime::Duration,
    /// How long one database statement of a request may run before the database stops it.
    #[arg(
        long,
        env = "ROSTERQL_STATEMENT_TIMEOUT",
        default_value = "10s",
        global = true
    )]
    pub statement_timeout: humantime::Duration,
}

impl Config {
    /// The defaults for `database_url`, with nothing read from the environment.
    pub fn new(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            read_database_url: None,
            bind: SocketAddr::from(([127, 0, 0, 1], 8000)),
            jwt_secret: None,
            consistency_timeout: Duration::from_secs(5).into(),
            projector_poll: Duration::from_millis(250).into(),
            change_buffer: 4096,
            cache_capacity: 100_000,
            instance: None,
            leader_retry: Duration::from_secs(1).into(),
            max_projection_lag: Duration::from_secs(30).into(),
            database_timeout: Duration::from_secs(5).into(),
            max_write_ahead: 1000,
            max_batch: MAX_BATCH,
            max_query_bytes: 65_536,
            max_depth: 20,
            max_complexity: 10_000,
            max_aliases: 30,
            max_root_fields: 20,
            max_directives: 20,
            execution_timeout: Duration::from_secs(30).into(),
            statement_timeout: Duration::from_secs(10).into(),
        }
    }

    /// The limits every GraphQL document is held to.
    pub fn query_limits(&self) -> QueryLimits {
        QueryLimits {
            max_query_bytes: self.max_query_bytes,
            max_depth: self.max_depth,
            max_complexity: self.max_complexity,
            max_aliases: self.max_aliases,
            max_root_fields: self.max_root_fields,
            max_directives: self.max_directives,
        }
    }

    /// This instance's name: the configured one, else `<hostname>:<pid>`.
    pub fn instance_name(&self) -> String {
        self.instance.clone().unwrap_or_else(|| {
            let host = gethostname::gethostname().to_string_lossy().into_owned();
            format!("{host}:{}", std::process::id())
        })
    }

    pub fn read_database_url(&self) -> &str {
        self.read_database_url
            .as_deref()
            .unwrap_or(&self.database_url)
    }

    /// Refuses what the server cannot run with: a JWT secret that is empty or shorter than
    /// [`MIN_SECRET_BYTES`] (anyone could sign tokens with it), and sizes or intervals of zero
    /// (a change buffer of none cannot be made, a poll every 0 s spins on the database) or
    /// beyond any sensible deployment (a typo, not a wish).
    pub fn validate(&self) -> Result<(), ConfigError> {
        match self.jwt_secret.as_deref().map(str::len) {
            Some(0) => return Err(ConfigError::EmptySecret),
            Some(length) if length < MIN_SECRET_BYTES => {
                return Err(ConfigError::ShortSecret(length));
            }
            _ => {}
        }
        within(
            "ROSTERQL_CONSISTENCY_TIMEOUT (--consistency-timeout)",
            *self.consistency_timeout,
            CONSISTENCY_TIMEOUT,
        )?;
        within(
            "ROSTERQL_PROJECTOR_POLL (--projector-poll)",
            *self.projector_poll,
            PROJECTOR_POLL,
        )?;
        within(
            "ROSTERQL_CHANGE_BUFFER (--change-buffer)",
            self.change_buffer,
            CHANGE_BUFFER,
        )?;
        within(
            "ROSTERQL_CACHE_CAPACITY (--cache-capacity)",
            self.cache_capacity,
            CACHE_CAPACITY,
        )?;
        within(
            "ROSTERQL_LEADER_RETRY (--leader-retry)",
            *self.leader_retry,
            LEADER_RETRY,
        )?;
        within(
            "ROSTERQL_MAX_PROJECTION_LAG (--max-projection-lag)",
            *self.max_projection_lag,
            MAX_PROJECTION_LAG,
        )?;
        within(
            "ROSTERQL_DATABASE_TIMEOUT (--database-timeout)",
            *self.database_timeout,
            DATABASE_TIMEOUT,
        )?;
        within(
            "ROSTERQL_MAX_WRITE_AHEAD (--max-write-ahead)",
            self.max_write_ahead,
            MAX_WRITE_AHEAD,
        )?;
        within(
            "ROSTERQL_MAX_BATCH (--max-batch)",
            self.max_batch,
            1..=MAX_BATCH,
        )?;
        within(
            "ROSTERQL_MAX_QUERY_BYTES (--max-query-bytes)",
            self.max_query_bytes,
            MAX_QUERY_BYTES,
        )?;
        within(
            "ROSTERQL_MAX_DEPTH (--max-depth)",
            self.max_depth,
            MAX_DEPTH,
        )?;
        within(
            "ROSTERQL_MAX_COMPLEXITY (--max-complexity)",
            self.max_complexity,
            MAX_COMPLEXITY,
        )?;
        within(
            "ROSTERQL_MAX_ALIASES (--max-aliases)",
            self.max_aliases,
            DOCUMENT_COUNT,
        )?;
        within(
            "ROSTERQL_MAX_ROOT_FIELDS (--max-root-fields)",
            self.max_root_fields,
            DOCUMENT_COUNT,
        )?;
        within(
            "ROSTERQL_MAX_DIRECTIVES (--max-directives)",
            self.max_directives,
            DOCUMENT_COUNT,
        )?;
        within(
            "ROSTERQL_EXECUTION_TIMEOUT (--execution-timeout)",
            *self.execution_timeout,
            EXECUTION_TIMEOUT,
        )?;
        within(
            "ROSTERQL_STATEMENT_TIMEOUT (--statement-timeout)",
            *self.statement_timeout,
            STATEMENT_TIMEOUT,
        )
    }
}

const CONSISTENCY_TIMEOUT: RangeInclusive<Duration> =
    Duration::from_millis(1)..=Duration::from_secs(5 * 60);
const PROJECTOR_POLL: RangeInclusive<Duration> =
    Duration::from_millis(10)..=Duration::from_secs(10 * 60);
const CHANGE_BUFFER: RangeInclusive<usize> = 1..=1 << 20;
const CACHE_CAPACITY: RangeInclusive<u64> = 1..=100_000_000;
const LEADER_RETRY: RangeInclusive<Duration> =
    Duration::from_millis(10)..=Duration::from_secs(10 * 60);
const MAX_PROJECTION_LAG: RangeInclusive<Duration> =
    Duration::from_millis(100)..=Duration::from_secs(24 * 3600);
const DATABASE_TIMEOUT: RangeInclusive<Duration> =
    Duration::from_millis(100)..=Duration::from_secs(5 * 60);
const MAX_WRITE_AHEAD: RangeInclusive<u64> = 1..=10_000_000;
/// At most the largest request body (1 MiB).
const MAX_QUERY_BYTES: RangeInclusive<usize> = 1024..=1 << 20;
const MAX_DEPTH: RangeInclusive<usize> = 1..=1000;
const MAX_COMPLEXITY: RangeInclusive<usize> = 1..=10_000_000;
/// Aliases, root fields and directives in one document.
const DOCUMENT_COUNT: RangeInclusive<usize> = 1..=10_000;
const EXECUTION_TIMEOUT: RangeInclusive<Duration> =
    Duration::from_millis(100)..=Duration::from_secs(10 * 60);
const STATEMENT_TIMEOUT: RangeInclusive<Duration> =
    Duration::from_millis(10)..=Duration::from_secs(10 * 60);

/// A setting the server refuses to start with, named as deployments set it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "ROSTERQL_JWT_SECRET (--jwt-secret) is set but empty: set a secret of at least \
         {MIN_SECRET_BYTES} bytes, or unset it to sign with a random secret per start"
    )]
    EmptySecret,
    #[error(
        "ROSTERQL_JWT_SECRET (--jwt-secret) is {0} bytes long: it must be at least \
         {MIN_SECRET_BYTES} bytes"
    )]
    ShortSecret(usize),
    #[error("{setting} is {value}: it must be from {min} to {max}")]
    OutOfRange {
        setting: &'static str,
        value: String,
        min: String,
        max: String,
    },
}

/// A setting's value as the refusal shows it: durations as they are written (`250ms`).
trait Shown: PartialOrd + Copy {
    fn shown(self) -> String;
}

impl Shown for Duration {
    fn shown(self) -> String {
        humantime::format_duration(self).to_string()
    }
}

impl Shown for usize {
    fn shown(self) -> String {
        self.to_string()
    }
}

impl Shown for u64 {
    fn shown(self) -> String {
        self.to_string()
    }
}

/// `value`, the value of `setting`, must lie in `range`.
fn within<T: Shown>(
    setting: &'static str,
    value: T,
    range: RangeInclusive<T>,
) -> Result<(), ConfigError> {
    if range.contains(&value) {
        return Ok(());
    }
    Err(ConfigError::OutOfRange {
        setting,
        value: value.shown(),
        min: range.start().shown(),
        max: range.end().shown(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::new("sqlite::memory:")
    }

    #[test]
    fn the_defaults_are_valid() {
        assert_eq!(config().validate(), Ok(()));
    }

    #[test]
    fn a_secret_of_32_bytes_is_enough_and_a_shorter_or_empty_one_is_not() {
        let with_secret = |secret: &str| {
            let mut config = config();
            config.jwt_secret = Some(secret.to_owned());
            config.validate()
        };
        assert_eq!(with_secret(&"s".repeat(32)), Ok(()));
        assert_eq!(
            with_secret(&"s".repeat(31)),
            Err(ConfigError::ShortSecret(31))
        );
        assert_eq!(with_secret(""), Err(ConfigError::EmptySecret));
        // Bytes count, not characters: 16 two-byte characters are 32 bytes.
        assert_eq!(with_secret(&"é".repeat(16)), Ok(()));
    }

    #[test]
    fn every_size_and_interval_is_refused_at_zero_and_beyond_its_bound() {
        type Setter = fn(&mut Config, u64);
        let settings: [(&str, Setter, u64); 17] = [
            (
                "ROSTERQL_CONSISTENCY_TIMEOUT",
                |c, ms| c.consistency_timeout = millis(ms),
                300_000,
            ),
            (
                "ROSTERQL_PROJECTOR_POLL",
                |c, ms| c.projector_poll = millis(ms),
                600_000,
            ),
            (
                "ROSTERQL_CHANGE_BUFFER",
                |c, n| c.change_buffer = n as usize,
                1 << 20,
            ),
            (
                "ROSTERQL_CACHE_CAPACITY",
                |c, n| c.cache_capacity = n,
                100_000_000,
            ),
            (
                "ROSTERQL_LEADER_RETRY",
                |c, ms| c.leader_retry = millis(ms),
                600_000,
            ),
            (
                "ROSTERQL_MAX_PROJECTION_LAG",
                |c, ms| c.max_projection_lag = millis(ms),
                86_400_000,
            ),
            (
                "ROSTERQL_DATABASE_TIMEOUT",
                |c, ms| c.database_timeout = millis(ms),
                300_000,
            ),
            (
                "ROSTERQL_MAX_WRITE_AHEAD",
                |c, n| c.max_write_ahead = n,
                10_000_000,
            ),
            ("ROSTERQL_MAX_BATCH", |c, n| c.max_batch = n as usize, 10),
            (
                "ROSTERQL_MAX_QUERY_BYTES",
                |c, n| c.max_query_bytes = n as usize,
                1 << 20,
            ),
            ("ROSTERQL_MAX_DEPTH", |c, n| c.max_depth = n as usize, 1000),
            (
                "ROSTERQL_MAX_COMPLEXITY",
                |c, n| c.max_complexity = n as usize,
                10_000_000,
            ),
            (
                "ROSTERQL_MAX_ALIASES",
                |c, n| c.max_aliases = n as usize,
                10_000,
            ),
            (
                "ROSTERQL_MAX_ROOT_FIELDS",
                |c, n| c.max_root_fields = n as usize,
                10_000,
            ),
            (
                "ROSTERQL_MAX_DIRECTIVES",
                |c, n| c.max_directives = n as usize,
                10_000,
            ),
            (
                "ROSTERQL_EXECUTION_TIMEOUT",
                |c, ms| c.execution_timeout = millis(ms),
                600_000,
            ),
            (
                "ROSTERQL_STATEMENT_TIMEOUT",
                |c, ms| c.statement_timeout = millis(ms),
                600_000,
            ),
        ];
        for (variable, set, largest) in settings {
            let with = |value: u64| {
                let mut config = config();
                set(&mut config, value);
                config.validate()
            };
            assert_eq!(with(largest), Ok(()), "{variable} at its largest");
            for refused in [0, largest + 1] {
                let Err(error) = with(refused) else {
                    panic!("{variable} = {refused} was accepted");
                };
                assert!(error.to_string().starts_with(variable), "{error}");
            }
        }
    }

    fn millis(ms: u64) -> humantime::Duration {
        Duration::from_millis(ms).into()
    }
}
