//! The command and read databases, and their migrations.

use std::str::FromStr;

use anyhow::Context;
use migration::{CommandMigrator, MigratorTrait, ReadMigrator};
use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection};
use sea_orm::sqlx::{self, ConnectOptions, Connection};

use crate::config::Config;
use crate::db::Pools;

/// The command and read databases (the same pools when both URLs are the same).
#[derive(Clone)]
pub struct Databases {
    pub command: Pools,
    pub read: Pools,
}

impl Databases {
    pub async fn connect(config: &Config) -> anyhow::Result<Self> {
        let command = Pools::open(&config.database_url, config.database_timeout.into())
            .await
            .context("cannot open the command database (DATABASE_URL)")?;
        let read = if config.read_database_url() == config.database_url {
            command.clone()
        } else {
            Pools::open(config.read_database_url(), config.database_timeout.into())
                .await
                .context("cannot open the read database (READ_DATABASE_URL)")?
        };
        Ok(Self { command, read })
    }

    /// Applies pending migrations: each side's set to its own database. On Postgres, one
    /// instance at a time (several starting together would race on the same DDL).
    pub async fn migrate(&self, config: &Config) -> anyhow::Result<()> {
        let command = MigrationLock::take(&config.database_url).await?;
        CommandMigrator::up(&self.command.writes, None)
            .await
            .context("migrating the command database")?;
        command.release().await;
        let read = MigrationLock::take(config.read_database_url()).await?;
        ReadMigrator::up(&self.read.writes, None)
            .await
            .context("migrating the read database")?;
        read.release().await;
        Ok(())
    }
}

/// A session-level advisory lock on a Postgres database, held on a connection of its own
/// while migrations run; nothing on SQLite, which has one process.
struct MigrationLock(Option<PgConnection>);

/// The lock's keys: ("rost", migrations).
const MIGRATION_LOCK: (i32, i32) = (0x726f_7374, 2);

impl MigrationLock {
    async fn take(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            return Ok(Self(None));
        }
        let mut connection = PgConnectOptions::from_str(url)?
            .connect()
            .await
            .context("connecting to take the migration lock")?;
        sqlx::query("SELECT pg_advisory_lock($1, $2)")
            .bind(MIGRATION_LOCK.0)
            .bind(MIGRATION_LOCK.1)
            .execute(&mut connection)
            .await
            .context("taking the migration lock")?;
        Ok(Self(Some(connection)))
    }

    /// Closing the connection ends the lock (so does the process dying).
    async fn release(self) {
        if let Some(connection) = self.0 {
            let _ = connection.close().await;
        }
    }
}
