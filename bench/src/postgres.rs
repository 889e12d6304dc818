//! The benchmark's own connection to the Postgres server: creates and drops the fresh
//! database each run uses, and names the server processes working for it (whose CPU time
//! a scenario records beside the service's).

use anyhow::Context;
use tokio_postgres::{Client, NoTls};

/// A Postgres server, addressed by a URL without a database name
/// (`postgres://postgres@127.0.0.1:5432`).
#[derive(Debug, Clone)]
pub(crate) struct PgServer {
    base_url: String,
}

impl PgServer {
    pub(crate) fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }

    /// The URL of database `name` on this server, without TLS: every client of the run
    /// (rosterql, the ceiling server, PostGraphile, pgbench) talks to Postgres over the same
    /// plain loopback connection, so none pays for encryption the others skip (libpq and
    /// sqlx would otherwise negotiate TLS, node-postgres would not).
    pub(crate) fn url(&self, name: &str) -> String {
        format!("{}/{name}?sslmode=disable", self.base_url)
    }

    /// A connection to database `name`; its driver runs on a task of its own.
    pub(crate) async fn connect(&self, name: &str) -> anyhow::Result<Client> {
        let url = self.url(name);
        let (client, connection) = tokio_postgres::connect(&url, NoTls)
            .await
            .with_context(|| format!("connecting to {url}"))?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                eprintln!("bench: a Postgres connection ended: {error}");
            }
        });
        Ok(client)
    }

    /// Creates database `name` (dropping a leftover of the same name first).
    pub(crate) async fn create_database(&self, name: &str) -> anyhow::Result<()> {
        let admin = self.connect("postgres").await?;
        // Two statements, two round trips: neither may run inside a transaction block.
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await
            .with_context(|| format!("dropping a leftover database {name}"))?;
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .with_context(|| format!("creating database {name}"))?;
        Ok(())
    }

    /// Drops database `name`, ending the sessions still connected to it.
    pub(crate) async fn drop_database(&self, name: &str) -> anyhow::Result<()> {
        let admin = self.connect("postgres").await?;
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await
            .with_context(|| format!("dropping database {name}"))?;
        Ok(())
    }

    /// The server processes whose CPU a scenario on database `name` counts: the sessions
    /// connected to it and the cluster's own background processes (WAL writer, checkpointer,
    /// autovacuum; shared with any other database, which is noted in the report).
    pub(crate) async fn worker_pids(
        &self,
        client: &Client,
        name: &str,
    ) -> anyhow::Result<Vec<u32>> {
        let rows = client
            .query(
                "SELECT pid FROM pg_stat_activity
                 WHERE datname = $1 OR backend_type <> 'client backend'",
                &[&name],
            )
            .await
            .context("listing Postgres processes")?;
        Ok(rows
            .iter()
            .filter_map(|row| row.get::<_, Option<i32>>(0))
            .filter_map(|pid| u32::try_from(pid).ok())
            .collect())
    }
}

/// How many rows `sql` (a `SELECT count(*)`) counts.
pub(crate) async fn count(client: &Client, sql: &str) -> anyhow::Result<i64> {
    let row = client
        .query_one(sql, &[])
        .await
        .with_context(|| format!("running {sql}"))?;
    Ok(row.get(0))
}
