//! The `rosterql` binary: parses the command line and runs the chosen subcommand.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use rand::RngCore;
use rosterql::app::{Application, Databases};
use rosterql::auth::{MIN_SECRET_BYTES, Role, SignError, TokenKeys};
use rosterql::command::CommandService;
use rosterql::config::{Cli, Command, Config, LogFormat};
use rosterql::event_log::EventLog;
use rosterql::graphql;
use rosterql::query::projector;
use tracing_subscriber::EnvFilter;

const ADMIN_TOKEN_TTL: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let log = tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr);
    match cli.config.log_format {
        // Colours on a terminal only: a log written to a file or a collector stays text.
        LogFormat::Text => log.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => log.json().init(),
    }
    let keys = match cli.config.validate().and_then(|()| cli.config.token_keys()) {
        Ok(keys) => keys,
        Err(error) => {
            tracing::error!("{error}");
            return ExitCode::from(2);
        }
    };
    match run(cli.command.unwrap_or(Command::Serve), cli.config, keys).await {
        Ok(code) => code,
        Err(error) => {
            tracing::error!("{error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `command`; `keys` are the configured token keys (None: no secret nor public key).
async fn run(
    command: Command,
    config: Config,
    keys: Option<TokenKeys>,
) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve => serve(config, keys).await?,
        Command::Schema => print!("{}", graphql::sdl()),
        Command::Migrate => {
            Databases::connect(&config, None)
                .await?
                .migrate(&config)
                .await?;
            tracing::info!("migrations applied");
        }
        Command::Token { role, ttl, sub } => {
            let Some(keys) = keys else {
                tracing::error!(
                    "set ROSTERQL_JWT_SECRET (or --jwt-secret): tokens are signed with it"
                );
                return Ok(ExitCode::from(2));
            };
            match keys.issue(&sub, role, ttl.into()) {
                Ok(token) => println!("{token}"),
                Err(error @ SignError::NoPrivateKey) => {
                    tracing::error!("{error}");
                    return Ok(ExitCode::from(2));
                }
                Err(error) => return Err(error.into()),
            }
        }
        Command::RebuildProjections => {
            let databases = Databases::connect(&config, None).await?;
            databases.migrate(&config).await?;
            let started = std::time::Instant::now();
            let rebuilt = projector::rebuild(
                &EventLog::new(databases.command.reads),
                &databases.read.writes,
            )
            .await
            .context("rebuilding the read tables")?;
            let seconds = started.elapsed().as_secs_f64();
            let events = rebuilt.applied + rebuilt.parked;
            tracing::info!(
                events = rebuilt.applied,
                parked = rebuilt.parked,
                position = %rebuilt.position,
                seconds,
                events_per_second = (events as f64 / seconds.max(1e-6)).round(),
                "read tables rebuilt from the event log and swapped in"
            );
        }
        Command::VerifyProjections { repair } => {
            return Ok(verify_projections(&config, repair).await);
        }
        Command::Seed {
            organizations,
            users,
        } => {
            let databases = Databases::connect(&config, None).await?;
            databases.migrate(&config).await?;
            let commands = CommandService::new(databases.command.writes, Default::default());
            let report = commands.seed(organizations, users).await?;
            tracing::info!(
                organizations = report.organizations,
                users = report.users,
                "seeded"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn serve(config: Config, keys: Option<TokenKeys>) -> anyhow::Result<()> {
    // Development: no key configured. The admin token made for this run is logged, and
    // filled into GraphiQL's headers when only this machine can reach the page.
    let (keys, playground_token) = match keys {
        Some(keys) => (keys, None),
        None => {
            let mut secret = [0u8; MIN_SECRET_BYTES];
            rand::rng().fill_bytes(&mut secret);
            let keys = TokenKeys::new(&secret, &config.token_rules());
            let token = keys
                .issue("rosterql-admin", Role::Admin, ADMIN_TOKEN_TTL)
                .context("signing the admin token")?;
            // At warn, so that a quieter RUST_LOG still shows the only admin token there is.
            tracing::warn!(
                "ROSTERQL_JWT_SECRET is not set: tokens are signed with a random secret for this run"
            );
            tracing::warn!("admin token (valid 24h): {token}");
            let local = config.bind.ip().is_loopback();
            (keys, local.then_some(token))
        }
    };
    let application = Application::build(&config, keys, playground_token.as_deref()).await?;
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        command_database = %redacted(&config.database_url),
        read_database = %redacted(config.read_database_url()),
        bind = %config.bind,
        instance = %config.instance_name(),
        "rosterql started; the projector leads on SQLite, and on Postgres logs whether this \
         instance leads or follows"
    );
    tracing::info!(
        "rosterql is serving GraphiQL at http://{}:{}/",
        config.bind.ip(),
        application.port()
    );
    application.run_until(shutdown_signal()).await?;
    Ok(())
}

/// `url` without its password, for the log.
fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => url.to_owned(),
        Err(_) => "(not a URL)".to_owned(),
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut terminate) => {
            tokio::select! {
                _ = interrupt => {}
                _ = terminate.recv() => {}
            }
        }
        Err(error) => {
            tracing::warn!(%error, "cannot listen for SIGTERM; stop with Ctrl-C");
            let _ = interrupt.await;
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

/// `verify-projections`: 0 when the read side is what the log says (or was repaired to
/// it), 1 when it differs, 3 when it could not be verified.
async fn verify_projections(config: &Config, repair: bool) -> ExitCode {
    let verified = async {
        let databases = Databases::connect(config, None).await?;
        databases.migrate(config).await?;
        let log = EventLog::new(databases.command.reads);
        projector::verify(&log, &databases.read.writes, repair)
            .await
            .context("verifying the read tables")
    };
    let verification = match verified.await {
        Ok(verification) => verification,
        Err(error) => {
            tracing::error!("{error:#}");
            return ExitCode::from(3);
        }
    };
    for difference in &verification.differences {
        println!("{difference}");
    }
    let found = verification.differences.len();
    println!(
        "{found} difference(s) in {} user and {} organization rows, at position {}{}",
        verification.users,
        verification.organizations,
        verification.position,
        if repair && found > 0 {
            "; repaired"
        } else {
            ""
        },
    );
    if found == 0 || repair {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
