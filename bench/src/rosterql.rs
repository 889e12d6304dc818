//! The service under test, as its release binary: built with cargo (unless a binary is
//! given), then run as `seed`, `rebuild-projections`, `token` and `serve`, each with the
//! database URL and JWT secret of the run and `RUST_LOG=warn`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::Value;
use tokio::process::Command;

use crate::server::{Server, free_port};

/// A secret of at least 32 bytes, fixed for the run.
const JWT_SECRET: &str = "rosterql-bench-secret-0123456789abcdef";

pub(crate) struct Rosterql {
    pub bin: PathBuf,
}

/// Builds `rosterql` in release mode with the cargo that runs this benchmark (same target
/// directory) and answers the binary's path.
pub(crate) async fn build(workspace: &Path) -> anyhow::Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    eprintln!("bench: building the release rosterql (cargo build --release -p rosterql)");
    let output = Command::new(cargo)
        .current_dir(workspace)
        .args([
            "build",
            "--release",
            "-p",
            "rosterql",
            "--bin",
            "rosterql",
            "--message-format=json-render-diagnostics",
        ])
        .stderr(Stdio::inherit())
        .output()
        .await
        .context("running cargo build")?;
    if !output.status.success() {
        bail!("cargo build --release -p rosterql failed");
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let executable = stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .filter(|message| message["target"]["name"] == "rosterql")
        .find_map(|message| message["executable"].as_str().map(PathBuf::from));
    executable.context("cargo build named no rosterql executable")
}

impl Rosterql {
    fn command(&self, database_url: &str) -> Command {
        let mut command = Command::new(&self.bin);
        command
            .env("DATABASE_URL", database_url)
            .env_remove("READ_DATABASE_URL")
            .env("ROSTERQL_JWT_SECRET", JWT_SECRET)
            // The fan-out's hundreds of sockets all come from this one address.
            .env("ROSTERQL_WS_MAX_CONNECTIONS_PER_CALLER", "100000")
            // And every read and write: budgets far above what it sends keep the limiter's
            // cost in the figures without refusing anything.
            .env("ROSTERQL_RATE_LIMIT_ANONYMOUS_READS", "1000000/s")
            .env("ROSTERQL_RATE_LIMIT_MUTATIONS", "1000000/s")
            .env("RUST_LOG", "warn");
        command
    }

    async fn run(&self, database_url: &str, args: &[&str]) -> anyhow::Result<(Duration, String)> {
        let started = Instant::now();
        let output = self
            .command(database_url)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .await
            .with_context(|| format!("running rosterql {}", args.join(" ")))?;
        let elapsed = started.elapsed();
        if !output.status.success() {
            bail!(
                "rosterql {} failed ({}): {}",
                args.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok((
            elapsed,
            String::from_utf8_lossy(&output.stdout).into_owned(),
        ))
    }

    /// `rosterql seed`; answers how long it took.
    pub(crate) async fn seed(
        &self,
        database_url: &str,
        organizations: u32,
        users: u32,
    ) -> anyhow::Result<Duration> {
        let organizations = organizations.to_string();
        let users = users.to_string();
        let args = ["seed", "--organizations", &organizations, "--users", &users];
        Ok(self.run(database_url, &args).await?.0)
    }

    /// `rosterql rebuild-projections`; answers how long it took (the whole process).
    pub(crate) async fn rebuild(&self, database_url: &str) -> anyhow::Result<Duration> {
        Ok(self.run(database_url, &["rebuild-projections"]).await?.0)
    }

    /// An admin token signed with the run's secret.
    pub(crate) async fn admin_token(&self, database_url: &str) -> anyhow::Result<String> {
        let (_, token) = self
            .run(database_url, &["token", "--role", "admin", "--ttl", "12h"])
            .await?;
        Ok(token.trim().to_owned())
    }

    /// Starts `rosterql serve` on a free port, logging to `log`, and waits for `/healthz`.
    pub(crate) async fn serve(&self, database_url: &str, log: &Path) -> anyhow::Result<Server> {
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()?));
        let mut command = self.command(database_url);
        command.arg("serve").env("ROSTERQL_BIND", addr.to_string());
        let mut server = Server::spawn("rosterql", command, addr, log)?;
        server
            .wait_ready("/healthz", Duration::from_secs(120))
            .await?;
        Ok(server)
    }
}
