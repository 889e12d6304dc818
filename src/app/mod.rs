//! Builds the application: databases, migrations, cache, projector, readiness and router;
//! runs the HTTP server, and the projector on a thread and runtime of its own (with
//! connections of its own on Postgres), and the purge of expired idempotency keys, under one
//! shutdown signal, and shuts them down in order: drain, stop accepting, finish what is in
//! flight, then stop the projector after its batch.

mod databases;
mod draining;
mod idempotency_purge;
mod readiness;

pub use databases::Databases;
pub use draining::{DrainSwitch, Draining, OpenGuard, OpenNow, draining};
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

pub struct Application {
    listener: TcpListener,
    state: HttpState,
    projector: Projector,
    /// For the purge of expired idempotency keys.
    commands: CommandService,
    /// For the last log line: where the read side stood.
    progress: ReadProgress,
    drain: DrainSwitch,
    draining: Draining,
    shutdown_delay: Duration,
    shutdown_timeout: Duration,
}

impl Application {
    /// Connects, migrates and binds (port 0 picks a free port). `keys` sign and check tokens;
    /// `playground_token`, in development only, is filled into GraphiQL's headers.
    pub async fn build(
        config: &Config,
        keys: TokenKeys,
        playground_token: Option<&str>,
    ) -> anyhow::Result<Self> {
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
        let (drain, draining) = draining();
        let readiness = Readiness::new(
            databases.command.reads,
            databases.read.reads,
            progress.clone(),
            config.max_projection_lag.into(),
            config.parked_events_readiness,
            draining.clone(),
        );
        let limits = RequestLimits {
            max_batch: config.max_batch,
            max_query_bytes: config.max_query_bytes,
            max_body_bytes: config.max_body_bytes,
            execution_timeout: config.execution_timeout.into(),
            rate_limit_mutations: config.rate_limit_mutations,
            rate_limit_anonymous_reads: config.rate_limit_anonymous_reads,
            public_max_age: config.public_max_age.into(),
        };
        let schema = graphql::build_schema(services, config.introspection, config.query_limits());
        let state = HttpState::new(
            schema,
            keys,
            progress.clone(),
            readiness,
            limits,
            config.websocket.clone(),
            playground_token,
        );
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        Ok(Self {
            listener,
            state,
            projector,
            commands,
            progress,
            drain,
            draining,
            shutdown_delay: config.shutdown_delay.into(),
            shutdown_timeout: config.shutdown_timeout.into(),
        })
    }

    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|address| address.port())
            .unwrap_or_default()
    }

    /// Serves until `shutdown` completes, then shuts down in order: `/readyz` turns 503
    /// and WebSockets are closed with 1001 at once; after the shutdown delay the listener
    /// closes and requests in flight get the shutdown timeout to finish; then the projector
    /// finishes its batch, records its checkpoint and gives the lead up.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stop_accepting, accepting) = watch::channel(false);
        let (drain, draining) = (self.drain, self.draining.clone());
        let delay = self.shutdown_delay;
        tokio::spawn(async move {
            shutdown.await;
            let open = draining.open();
            tracing::info!(
                requests = open.requests,
                websockets = open.websockets,
                delay = ?delay,
                "shutting down: /readyz answers 503, WebSockets are closed (1001), and the \
                 listener closes after the delay"
            );
            drain.start();
            tokio::time::sleep(delay).await;
            let _ = stop_accepting.send(true);
        });
        let accepting_stopped = move || {
            let mut accepting = accepting.clone();
            async move {
                let _ = accepting.wait_for(|stopped| *stopped).await;
            }
        };
        // The metrics recorder first: a gauge the projector sets before it is installed
        // (`rosterql_projector_leader` as it takes the lead) would be lost for good.
        http::prometheus();
        projector::record_position(self.progress.applied());
        // The projector stops last: mutations in flight wait for it to apply their events.
        let (stop_projector, projector_stops) = oneshot::channel::<()>();
        let projector = run_on_its_own_thread(self.projector, async move {
            let _ = projector_stops.await;
        })?;
        tokio::spawn(idempotency_purge::purge_expired_keys(
            self.commands,
            accepting_stopped(),
        ));
        let routes = http::router(self.state).into_make_service_with_connect_info::<SocketAddr>();
        let server = axum::serve(self.listener, routes).with_graceful_shutdown(accepting_stopped());
        let timeout = self.shutdown_timeout;
        let timed_out = accepting_stopped();
        let served = tokio::select! {
            served = server => served,
            () = async move { timed_out.await; tokio::time::sleep(timeout).await } => Ok(()),
        };
        let open = self.draining.open();
        let _ = stop_projector.send(());
        let _ = projector.await;
        tracing::info!(
            unfinished_requests = open.requests,
            open_websockets = open.websockets,
            position = %self.progress.applied(),
            "stopped: {}; the projector finished its batch at its checkpoint",
            if open.requests == 0 {
                "every request in flight was answered"
            } else {
                "the shutdown timeout cut requests in flight short"
            }
        );
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
