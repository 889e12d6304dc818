//! Settings, from command-line flags and the matching environment variables, and the
//! check that refuses at start the ones the server cannot run with.

use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, Parser, Subcommand};

use crate::app::ParkedEventsReadiness;
use crate::auth::{KeyError, MIN_SECRET_BYTES, Role, TokenAlgorithm, TokenKeys, TokenRules};
use crate::graphql::{MAX_BATCH, QueryLimits};
use crate::http::Rate;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://rosterql.db?mode=rwc";
const RATE_LIMIT_MUTATIONS: Rate = Rate::per_second(100);
const RATE_LIMIT_ANONYMOUS_READS: Rate = Rate::per_second(500);

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
    /// Compare every read row with the event log, print each difference and exit 1 when
    /// any (0 when none, 3 when it could not verify); runs beside a live service.
    VerifyProjections {
        /// Rewrite the differing rows (every instance on Postgres drops its cache), then
        /// exit 0.
        #[arg(long)]
        repair: bool,
    },
    /// Fill the database through the command side.
    Seed {
        #[arg(long, default_value_t = 3)]
        organizations: u32,
        /// Users in all, spread evenly over the organizations.
        #[arg(long, default_value_t = 30)]
        users: u32,
    },
}

/// How the log is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// The command (write) database.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,
    /// The projection (read) database [default: the command database].
    #[arg(long, env = "READ_DATABASE_URL", global = true)]
    pub read_database_url: Option<String>,
    /// How the log is written: `text` (colours only on a terminal) or `json` (one object
    /// per line, for a log collector).
    #[arg(
        long,
        env = "ROSTERQL_LOG_FORMAT",
        value_enum,
        ignore_case = true,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,
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
    /// A PEM public key that checks tokens from an identity provider, instead of a secret
    /// (needs --jwt-algorithm RS256 or ES256).
    #[arg(long, env = "ROSTERQL_JWT_PUBLIC_KEY_FILE", global = true)]
    pub jwt_public_key_file: Option<PathBuf>,
    /// The one algorithm tokens must be signed with [default: HS256, with the secret].
    #[arg(
        long,
        env = "ROSTERQL_JWT_ALGORITHM",
        value_enum,
        ignore_case = true,
        global = true
    )]
    pub jwt_algorithm: Option<TokenAlgorithm>,
    /// How long after its `exp` a token is still taken, for clocks that differ (whole
    /// seconds).
    #[arg(long, env = "ROSTERQL_JWT_LEEWAY", default_value = "5s", global = true)]
    pub jwt_leeway: humantime::Duration,
    /// The `iss` every token must carry [default: not checked].
    #[arg(long, env = "ROSTERQL_JWT_ISSUER", global = true)]
    pub jwt_issuer: Option<String>,
    /// The audience every token's `aud` must name [default: not checked].
    #[arg(long, env = "ROSTERQL_JWT_AUDIENCE", global = true)]
    pub jwt_audience: Option<String>,
    /// Whether clients may introspect the schema and get "did you mean" suggestions; turn
    /// it off in production (`rosterql schema` prints the SDL either way).
    #[arg(
        long,
        env = "ROSTERQL_INTROSPECTION",
        default_value_t = true,
        action = ArgAction::Set,
        value_parser = BoolishValueParser::new(),
        global = true
    )]
    pub introspection: bool,
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
    /// What `/readyz` answers while the projector has parked events: `degraded` (200, with
    /// the reason: the instance still serves everything else) or `unavailable` (503).
    #[arg(
        long,
        env = "ROSTERQL_PARKED_EVENTS_READINESS",
        value_enum,
        ignore_case = true,
        default_value = "degraded",
        global = true
    )]
    pub parked_events_readiness: ParkedEventsReadiness,
    /// How long anyone (a CDN, a browser) may keep the answer to a query sent without a
    /// token or consistency token that ran without an error (`Cache-Control: public`); 0
    /// keeps none.
    #[arg(
        long,
        env = "ROSTERQL_PUBLIC_MAX_AGE",
        default_value = "5s",
        global = true
    )]
    pub public_max_age: humantime::Duration,
    /// After SIGTERM or Ctrl-C, how long the instance goes on serving with `/readyz` at
    /// 503 before it stops accepting, so a load balancer has time to stop sending to it.
    #[arg(
        long,
        env = "ROSTERQL_SHUTDOWN_DELAY",
        default_value = "0s",
        global = true
    )]
    pub shutdown_delay: humantime::Duration,
    /// Once it stops accepting, how long requests in flight get to finish.
    #[arg(
        long,
        env = "ROSTERQL_SHUTDOWN_TIMEOUT",
        default_value = "10s",
        global = true
    )]
    pub shutdown_timeout: humantime::Duration,
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
        default_value_t = 500,
        global = true
    )]
    pub max_write_ahead: u64,
    /// The most operations one batched request may carry (at most 10).
    #[arg(long, env = "ROSTERQL_MAX_BATCH", default_value_t = 10, global = true)]
    pub max_batch: usize,
    /// The largest request body (and WebSocket message) read; a larger one gets 413.
    #[arg(
        long,
        env = "ROSTERQL_MAX_BODY_BYTES",
        default_value_t = 1 << 20,
        global = true
    )]
    pub max_body_bytes: usize,
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
    /// How long one request over HTTP, or one query or mutation over WebSocket, may run
    /// before it is answered SERVICE_UNAVAILABLE.
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
    /// How many mutations one caller (its token's subject, else its address) may send:
    /// `<requests>/<s|min|h>`, all of which may come at once, or `off`.
    #[arg(
        long,
        env = "ROSTERQL_RATE_LIMIT_MUTATIONS",
        default_value_t = RATE_LIMIT_MUTATIONS,
        global = true
    )]
    pub rate_limit_mutations: Rate,
    /// How many operations one client address may send without a token (`off` behind a
    /// proxy that does not pass the client's own address: every caller would share it).
    #[arg(
        long,
        env = "ROSTERQL_RATE_LIMIT_ANONYMOUS_READS",
        default_value_t = RATE_LIMIT_ANONYMOUS_READS,
        global = true
    )]
    pub rate_limit_anonymous_reads: Rate,
    #[command(flatten)]
    pub websocket: WebSocketConfig,
}

/// GraphQL over WebSocket: how long a socket may wait, how much it may hold.
#[derive(Debug, Clone, Args)]
pub struct WebSocketConfig {
    /// How long a WebSocket may stay open without `connection_init` (then closed with 4408).
    #[arg(
        long = "ws-init-timeout",
        env = "ROSTERQL_WS_INIT_TIMEOUT",
        default_value = "10s",
        global = true
    )]
    pub init_timeout: humantime::Duration,
    /// How often the server pings an acknowledged socket; one that has not answered a ping
    /// by the next is closed (4408).
    #[arg(
        long = "ws-ping-interval",
        env = "ROSTERQL_WS_PING_INTERVAL",
        default_value = "15s",
        global = true
    )]
    pub ping_interval: humantime::Duration,
    /// The most operations one WebSocket may run at once.
    #[arg(
        long = "ws-max-subscriptions",
        env = "ROSTERQL_WS_MAX_SUBSCRIPTIONS",
        default_value_t = 100,
        global = true
    )]
    pub max_subscriptions: usize,
    /// The most WebSockets one caller (its token's subject, else its address) may hold open.
    #[arg(
        long = "ws-max-connections-per-caller",
        env = "ROSTERQL_WS_MAX_CONNECTIONS_PER_CALLER",
        default_value_t = 50,
        global = true
    )]
    pub max_connections_per_caller: usize,
    /// How many results of one subscription may wait to be sent.
    #[arg(
        long = "ws-send-queue",
        env = "ROSTERQL_WS_SEND_QUEUE",
        default_value_t = 256,
        global = true
    )]
    pub send_queue: usize,
    /// How long a result may wait for room in a full send queue, or a message for the
    /// socket to take it, before the listener is closed as too slow (1013).
    #[arg(
        long = "ws-send-timeout",
        env = "ROSTERQL_WS_SEND_TIMEOUT",
        default_value = "10s",
        global = true
    )]
    pub send_timeout: humantime::Duration,
}

impl Default for WebSocketConfig {
    fn default() -> Self {
        Self {
            init_timeout: Duration::from_secs(10).into(),
            ping_interval: Duration::from_secs(15).into(),
            max_subscriptions: 100,
            max_connections_per_caller: 50,
            send_queue: 256,
            send_timeout: Duration::from_secs(10).into(),
        }
    }
}

impl WebSocketConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        within(
            "ROSTERQL_WS_INIT_TIMEOUT (--ws-init-timeout)",
            *self.init_timeout,
            WS_INIT_TIMEOUT,
        )?;
        within(
            "ROSTERQL_WS_PING_INTERVAL (--ws-ping-interval)",
            *self.ping_interval,
            WS_PING_INTERVAL,
        )?;
        within(
            "ROSTERQL_WS_MAX_SUBSCRIPTIONS (--ws-max-subscriptions)",
            self.max_subscriptions,
            WS_MAX_SUBSCRIPTIONS,
        )?;
        within(
            "ROSTERQL_WS_MAX_CONNECTIONS_PER_CALLER (--ws-max-connections-per-caller)",
            self.max_connections_per_caller,
            WS_MAX_CONNECTIONS_PER_CALLER,
        )?;
        within(
            "ROSTERQL_WS_SEND_QUEUE (--ws-send-queue)",
            self.send_queue,
            WS_SEND_QUEUE,
        )?;
        within(
            "ROSTERQL_WS_SEND_TIMEOUT (--ws-send-timeout)",
            *self.send_timeout,
            WS_SEND_TIMEOUT,
        )
    }
}

impl Config {
    /// The defaults for `database_url`, with nothing read from the environment.
    pub fn new(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            read_database_url: None,
            log_format: LogFormat::Text,
            bind: SocketAddr::from(([127, 0, 0, 1], 8000)),
            jwt_secret: None,
            jwt_public_key_file: None,
            jwt_algorithm: None,
            jwt_leeway: Duration::from_secs(5).into(),
            jwt_issuer: None,
            jwt_audience: None,
            introspection: true,
            consistency_timeout: Duration::from_secs(5).into(),
            projector_poll: Duration::from_millis(250).into(),
            change_buffer: 4096,
            cache_capacity: 100_000,
            instance: None,
            leader_retry: Duration::from_secs(1).into(),
            max_projection_lag: Duration::from_secs(30).into(),
            parked_events_readiness: ParkedEventsReadiness::Degraded,
            public_max_age: Duration::from_secs(5).into(),
            shutdown_delay: Duration::ZERO.into(),
            shutdown_timeout: Duration::from_secs(10).into(),
            database_timeout: Duration::from_secs(5).into(),
            max_write_ahead: 500,
            websocket: WebSocketConfig::default(),
            max_batch: MAX_BATCH,
            max_body_bytes: 1 << 20,
            max_query_bytes: 65_536,
            max_depth: 20,
            max_complexity: 10_000,
            max_aliases: 30,
            max_root_fields: 20,
            max_directives: 20,
            execution_timeout: Duration::from_secs(30).into(),
            statement_timeout: Duration::from_secs(10).into(),
            rate_limit_mutations: RATE_LIMIT_MUTATIONS,
            rate_limit_anonymous_reads: RATE_LIMIT_ANONYMOUS_READS,
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
    /// [`MIN_SECRET_BYTES`] (anyone could sign tokens with it), an issuer or audience set but
    /// empty, a leeway that is not whole seconds, and sizes or intervals of zero (a change
    /// buffer of none cannot be made, a poll every 0 s spins on the database) or beyond any
    /// sensible deployment (a typo, not a wish). The keys themselves are checked by
    /// [`Self::token_keys`].
    pub fn validate(&self) -> Result<(), ConfigError> {
        match self.jwt_secret.as_deref().map(str::len) {
            Some(0) => return Err(ConfigError::EmptySecret),
            Some(length) if length < MIN_SECRET_BYTES => {
                return Err(ConfigError::ShortSecret(length));
            }
            _ => {}
        }
        for (setting, value) in [
            ("ROSTERQL_JWT_ISSUER (--jwt-issuer)", &self.jwt_issuer),
            ("ROSTERQL_JWT_AUDIENCE (--jwt-audience)", &self.jwt_audience),
        ] {
            if value.as_deref().is_some_and(str::is_empty) {
                return Err(ConfigError::Empty(setting));
            }
        }
        within(
            "ROSTERQL_JWT_LEEWAY (--jwt-leeway)",
            *self.jwt_leeway,
            JWT_LEEWAY,
        )?;
        if self.jwt_leeway.subsec_nanos() != 0 {
            return Err(ConfigError::FractionalLeeway((*self.jwt_leeway).shown()));
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
            "ROSTERQL_PUBLIC_MAX_AGE (--public-max-age)",
            *self.public_max_age,
            PUBLIC_MAX_AGE,
        )?;
        within(
            "ROSTERQL_SHUTDOWN_DELAY (--shutdown-delay)",
            *self.shutdown_delay,
            SHUTDOWN_DELAY,
        )?;
        within(
            "ROSTERQL_SHUTDOWN_TIMEOUT (--shutdown-timeout)",
            *self.shutdown_timeout,
            SHUTDOWN_TIMEOUT,
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
            "ROSTERQL_MAX_BODY_BYTES (--max-body-bytes)",
            self.max_body_bytes,
            MAX_BODY_BYTES,
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
        )?;
        self.websocket.validate()
    }
}

impl Config {
    /// The rules every token is checked against besides its signature.
    pub fn token_rules(&self) -> TokenRules {
        TokenRules {
            leeway: *self.jwt_leeway,
            issuer: self.jwt_issuer.clone(),
            audience: self.jwt_audience.clone(),
        }
    }

    /// The keys tokens are checked (and, with a secret, signed) with: the secret's (HS256),
    /// or the public key file's (RS256 or ES256, as `jwt_algorithm` pins it); None when
    /// neither is set. Refuses both at once, an algorithm that does not fit the key, and a
    /// key file that cannot be read or does not hold such a public key.
    pub fn token_keys(&self) -> Result<Option<TokenKeys>, ConfigError> {
        let rules = self.token_rules();
        match (
            self.jwt_secret.as_deref(),
            self.jwt_public_key_file.as_ref(),
            self.jwt_algorithm,
        ) {
            (Some(_), Some(_), _) => Err(ConfigError::SecretAndPublicKey),
            (Some(secret), None, None | Some(TokenAlgorithm::Hs256)) => {
                Ok(Some(TokenKeys::new(secret.as_bytes(), &rules)))
            }
            (None, None, None | Some(TokenAlgorithm::Hs256)) => Ok(None),
            (_, None, Some(algorithm)) => Err(ConfigError::NoPublicKey(algorithm)),
            (None, Some(_), None | Some(TokenAlgorithm::Hs256)) => {
                Err(ConfigError::NoPublicKeyAlgorithm)
            }
            (None, Some(path), Some(algorithm)) => {
                let pem = std::fs::read(path).map_err(|error| ConfigError::UnreadableKeyFile {
                    path: path.clone(),
                    error: error.to_string(),
                })?;
                TokenKeys::from_public_key(algorithm, &pem, &rules)
                    .map(Some)
                    .map_err(|error| ConfigError::BadPublicKey {
                        path: path.clone(),
                        error,
                    })
            }
        }
    }
}

const JWT_LEEWAY: RangeInclusive<Duration> = Duration::ZERO..=Duration::from_secs(5 * 60);
const CONSISTENCY_TIMEOUT: RangeInclusive<Duration> =
    Duration::from_millis(1)..=Duration::from_secs(5 * 60);
const PROJECTOR_POLL: RangeInclusive<Duration> =
    Duration::from_millis(10)..=Duration::from_secs(10 * 60);
const CHANGE_BUFFER: RangeInclusive<usize> = 1..=1 << 20;
const CACHE_CAPACITY: RangeInclusive<u64> = 1..=100_000_000;
const LEADER_RETRY: RangeInclusive<Duration> =
    Duration::from_millis(10)..=Duration::from_secs(10 * 60);
const PUBLIC_MAX_AGE: RangeInclusive<Duration> = Duration::ZERO..=Duration::from_secs(3600);
const SHUTDOWN_DELAY: RangeInclusive<Duration> = Duration::ZERO..=Duration::from_secs(10 * 60);
const SHUTDOWN_TIMEOUT: RangeInclusive<Duration> =
    Duration::from_millis(100)..=Duration::from_secs(10 * 60);
const MAX_PROJECTION_LAG: RangeInclusive<Duration> =
    Duration::from_millis(100)..=Duration::from_secs(24 * 3600);
const DATABASE_TIMEOUT: RangeInclusive<Duration> =
    Duration::from_millis(100)..=Duration::from_secs(5 * 60);
const MAX_WRITE_AHEAD: RangeInclusive<u64> = 1..=10_000_000;
const WS_INIT_TIMEOUT: RangeInclusive<Duration> =
    Duration::from_millis(100)..=Duration::from_secs(5 * 60);
const WS_PING_INTERVAL: RangeInclusive<Duration> =
    Duration::from_millis(100)..=Duration::from_secs(10 * 60);
const WS_MAX_SUBSCRIPTIONS: RangeInclusive<usize> = 1..=10_000;
const WS_MAX_CONNECTIONS_PER_CALLER: RangeInclusive<usize> = 1..=100_000;
const WS_SEND_QUEUE: RangeInclusive<usize> = 1..=65_536;
const WS_SEND_TIMEOUT: RangeInclusive<Duration> =
    Duration::from_millis(100)..=Duration::from_secs(5 * 60);
const MAX_BODY_BYTES: RangeInclusive<usize> = 1024..=64 << 20;
/// At most the default request body (1 MiB).
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
    #[error("{0} is set but empty: set it, or unset it to not check it")]
    Empty(&'static str),
    #[error("ROSTERQL_JWT_LEEWAY (--jwt-leeway) is {0}: it must be whole seconds")]
    FractionalLeeway(String),
    #[error(
        "ROSTERQL_JWT_SECRET and ROSTERQL_JWT_PUBLIC_KEY_FILE are both set: tokens are checked \
         with one or the other, unset one"
    )]
    SecretAndPublicKey,
    #[error(
        "ROSTERQL_JWT_ALGORITHM (--jwt-algorithm) is {0}: set ROSTERQL_JWT_PUBLIC_KEY_FILE to \
         the public key that checks it"
    )]
    NoPublicKey(TokenAlgorithm),
    #[error(
        "ROSTERQL_JWT_PUBLIC_KEY_FILE (--jwt-public-key-file) needs ROSTERQL_JWT_ALGORITHM \
         (--jwt-algorithm) set to RS256 or ES256"
    )]
    NoPublicKeyAlgorithm,
    #[error(
        "ROSTERQL_JWT_PUBLIC_KEY_FILE (--jwt-public-key-file) {path:?} cannot be read: {error}"
    )]
    UnreadableKeyFile { path: PathBuf, error: String },
    #[error("ROSTERQL_JWT_PUBLIC_KEY_FILE (--jwt-public-key-file) {path:?} is refused: {error}")]
    BadPublicKey { path: PathBuf, error: KeyError },
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
        let settings: &[(&str, Setter, u64)] = &[
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
                "ROSTERQL_SHUTDOWN_TIMEOUT",
                |c, ms| c.shutdown_timeout = millis(ms),
                600_000,
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
            (
                "ROSTERQL_WS_INIT_TIMEOUT",
                |c, ms| c.websocket.init_timeout = millis(ms),
                300_000,
            ),
            (
                "ROSTERQL_WS_PING_INTERVAL",
                |c, ms| c.websocket.ping_interval = millis(ms),
                600_000,
            ),
            (
                "ROSTERQL_WS_MAX_SUBSCRIPTIONS",
                |c, n| c.websocket.max_subscriptions = n as usize,
                10_000,
            ),
            (
                "ROSTERQL_WS_MAX_CONNECTIONS_PER_CALLER",
                |c, n| c.websocket.max_connections_per_caller = n as usize,
                100_000,
            ),
            (
                "ROSTERQL_WS_SEND_QUEUE",
                |c, n| c.websocket.send_queue = n as usize,
                65_536,
            ),
            (
                "ROSTERQL_WS_SEND_TIMEOUT",
                |c, ms| c.websocket.send_timeout = millis(ms),
                300_000,
            ),
        ];
        for &(variable, set, largest) in settings {
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

    #[test]
    fn the_leeway_is_whole_seconds_up_to_five_minutes_and_may_be_zero() {
        let with_leeway = |ms| {
            let mut config = config();
            config.jwt_leeway = millis(ms);
            config.validate()
        };
        assert_eq!(with_leeway(0), Ok(()));
        assert_eq!(with_leeway(300_000), Ok(()));
        assert!(matches!(
            with_leeway(300_001),
            Err(ConfigError::OutOfRange { .. })
        ));
        assert_eq!(
            with_leeway(1500),
            Err(ConfigError::FractionalLeeway("1s 500ms".into()))
        );
    }

    #[test]
    fn an_issuer_or_audience_set_but_empty_is_refused() {
        let mut config = config();
        config.jwt_issuer = Some(String::new());
        assert!(
            matches!(config.validate(), Err(ConfigError::Empty(setting)) if setting.starts_with("ROSTERQL_JWT_ISSUER"))
        );
        let mut config = self::config();
        config.jwt_audience = Some(String::new());
        assert!(
            matches!(config.validate(), Err(ConfigError::Empty(setting)) if setting.starts_with("ROSTERQL_JWT_AUDIENCE"))
        );
    }

    #[test]
    fn tokens_are_checked_with_a_secret_or_a_public_key_of_a_pinned_algorithm() {
        let keys = |secret: Option<&str>, key_file: Option<&str>, algorithm| {
            let mut config = config();
            config.jwt_secret = secret.map(str::to_owned);
            config.jwt_public_key_file = key_file.map(PathBuf::from);
            config.jwt_algorithm = algorithm;
            config.token_keys().map(|keys| keys.is_some())
        };
        let secret = Some("s".repeat(32));
        let secret = secret.as_deref();
        let missing = Some("/nonexistent/rosterql-public-key.pem");
        assert_eq!(keys(None, None, None), Ok(false));
        assert_eq!(keys(secret, None, None), Ok(true));
        assert_eq!(keys(secret, None, Some(TokenAlgorithm::Hs256)), Ok(true));
        assert_eq!(
            keys(secret, missing, Some(TokenAlgorithm::Rs256)),
            Err(ConfigError::SecretAndPublicKey)
        );
        assert_eq!(
            keys(secret, None, Some(TokenAlgorithm::Rs256)),
            Err(ConfigError::NoPublicKey(TokenAlgorithm::Rs256))
        );
        assert_eq!(
            keys(None, missing, None),
            Err(ConfigError::NoPublicKeyAlgorithm)
        );
        assert_eq!(
            keys(None, missing, Some(TokenAlgorithm::Hs256)),
            Err(ConfigError::NoPublicKeyAlgorithm)
        );
        assert!(matches!(
            keys(None, missing, Some(TokenAlgorithm::Es256)),
            Err(ConfigError::UnreadableKeyFile { .. })
        ));
    }

    fn millis(ms: u64) -> humantime::Duration {
        Duration::from_millis(ms).into()
    }
}
