//! Builds the application: databases, migrations, cache, projector, readiness and router;
//! runs the HTTP server, and the projector on a thread and runtime of its own (with
//! connections of its own on Postgres), and the purge of expired idempotency keys, under one
//! shutdown signal.

mod databases;
mod idempotency_purge;
mod readiness;

pub use databases::Databases;
pub use readiness::{ParkedEventsReadiness, Readiness, Verdict};

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot, watch};

use crate::auth::TokenKeys;
use crate::command::CommandService;
use crate::config::Config;
use crate::db;
use crate::event_log::EventLog;
use crate::graphql::{self, Services, WriteAdmission};
use crate::http::{self, HttpState, RequestLimits};
use crate::query::projector::{self, Leadership, Mirror, Projector};
use crate::query::{
    ChangeFeed, ChangeStream, OrganizationDirectory, ParkedEvents, ReadProgress, UserCache,
    UserDirectory,
};

/// How long open connections (WebSockets) get to finish after shutdown is asked for.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

pub struct Application {
    listener: TcpListener,
    state: HttpState,
    projector: Projector,
    /// For the purge of expired idempotency keys.
    commands: CommandService,
}

impl Application {
    /// Connects, migrates and binds (port 0 picks a free port). `keys` sign and check tokens.
    pub async fn build(config: &Config, keys: TokenKeys) -> anyhow::Result<Self> {
        let databases = Databases::connect(config, Some(config.statement_timeout.into())).await?;
        databases.migrate(config).await?;

        let committed = Arc::new(Notify::new());
        let instance = config.instance_name();
        // Start from the stored checkpoint, not the origin: a listener resuming `after` a
        // position must replay up to what the read side already holds.
        let checkpoint = projector::load_checkpoint(&databases.read.reads)
            .await
            .context("reading the projector checkpoint")?;
        let (applied, applied_rx) = watch::channel(checkpoint.position);
        let log = EventLog::new(databases.command.reads.clone());
        let timeout = config.database_timeout.into();
        let projector_log =
            db::projector_connection(&config.database_url, &databases.command, timeout)
                .await
                .context("opening the projector's connections to the command database")?;
        let projector_read =
            db::projector_connection(config.read_database_url(), &databases.read, timeout)
                .await
                .context("opening the projector's connections to the read database")?;
        let cache = Arc::new(UserCache::new(config.cache_capacity));
        let feed = ChangeFeed::new(config.change_buffer);
        let users = UserDirectory::new(
            databases.read.reads.clone(),
            cache.clone(),
            applied_rx.clone(),
        );
        let organizations = OrganizationDirectory::new(databases.read.reads.clone());
        let progress = ReadProgress::new(
            applied_rx,
            databases.read.reads.clone(),
            log.clone(),
            config.consistency_timeout.into(),
            instance.clone(),
        );
        let parked = ParkedEvents::new(
            databases.read.reads.clone(),
            databases.read.writes.clone(),
            log.clone(),
            cache.clone(),
            feed.clone(),
        );
        let changes = ChangeStream {
            parked: parked.clone(),
            feed: feed.clone(),
            log: log.clone(),
            progress: progress.clone(),
            users: users.clone(),
            organizations: organizations.clone(),
        };
        let commands = CommandService::new(databases.command.writes.clone(), committed.clone());
        let services = Services {
            commands: commands.clone(),
            admission: WriteAdmission::new(progress.clone(), config.max_write_ahead),
            changes: changes.clone(),
            users,
            organizations,
            progress: progress.clone(),
            parked,
        };
        let projector = Projector {
            log: EventLog::new(projector_log),
            read_db: projector_read,
            read_url: config.read_database_url().to_owned(),
            command_url: config.database_url.clone(),
            mirror: Mirror {
                cache,
                applied,
                feed,
            },
            changes,
            commits: committed,
            wake: Arc::new(Notify::new()),
            leading: Arc::default(),
            poll_interval: config.projector_poll.into(),
            leader_retry: config.leader_retry.into(),
            health: progress.health(),
            leadership: Leadership::new(config.read_database_url(), instance)
                .context("reading the read database's URL")?,
        };
        let readiness = Readiness::new(
            databases.command.reads,
            databases.read.reads,
            progress.clone(),
            config.max_projection_lag.into(),
            config.parked_events_readiness,
        );
        let limits = RequestLimits {
            max_batch: config.max_batch,
            max_query_bytes: config.max_query_bytes,
            max_body_bytes: config.max_body_bytes,
            execution_timeout: config.execution_timeout.into(),
            rate_limit_mutations: config.rate_limit_mutations,
            rate_limit_anonymous_reads: config.rate_limit_anonymous_reads,
        };
        let schema = graphql::build_schema(services, config.introspection, config.query_limits());
        let state = HttpState::new(
            schema,
            keys,
            progress,
            readiness,
            limits,
            config.websocket.clone(),
        );
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        Ok(Self {
            listener,
            state,
            projector,
            commands,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|address| address.port())
            .unwrap_or_default()
    }

    /// Serves until `shutdown` completes, then stops the projector and, after a grace
    /// period for open connections, the server.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stop, stopped) = watch::channel(false);
        let wait_for_stop = move || {
            let mut stopped = stopped.clone();
            async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            }
        };
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop.send(true);
        });
        // The metrics recorder first: a gauge the projector sets before it is installed
        // (`rosterql_projector_leader` as it takes the lead) would be lost for good.
        http::prometheus();
        let projector = run_on_its_own_thread(self.projector, wait_for_stop())?;
        tokio::spawn(idempotency_purge::purge_expired_keys(
            self.commands,
            wait_for_stop(),
        ));
        let grace = wait_for_stop();
        let routes = http::router(self.state).into_make_service_with_connect_info::<SocketAddr>();
        let server = axum::serve(self.listener, routes).with_graceful_shutdown(wait_for_stop());
        let served = tokio::select! {
            served = server => served,
            () = async move { grace.await; tokio::time::sleep(SHUTDOWN_GRACE).await } => Ok(()),
        };
        let _ = projector.await;
        served
    }
}

/// Runs the projector on a thread and runtime of its own, so busy request handlers cannot
/// starve it (and it cannot slow them beyond its share of the CPU). Resolves when it ends.
fn run_on_its_own_thread(
    projector: Projector,
    stop: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<oneshot::Receiver<()>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .thread_name("rosterql-projector")
        .build()?;
    let (ended, end) = oneshot::channel();
    std::thread::Builder::new()
        .name("rosterql-projector".to_owned())
        .spawn(move || {
            runtime.block_on(projector.run(stop));
            let _ = ended.send(());
        })?;
    Ok(end)
}
