//! The command and read databases, and their migrations.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use migration::{CommandMigrator, MigratorTrait, ReadMigrator};
use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection};
use sea_orm::sqlx::{self, ConnectOptions, Connection};
use sea_orm::{DatabaseConnection, DbBackend, DbErr, TransactionTrait};

use crate::config::Config;
use crate::db::{Pools, lift_statement_timeout};

/// The command and read databases (the same pools when both URLs are the same).
#[derive(Clone)]
pub struct Databases {
    pub command: Pools,
    pub read: Pools,
}

impl Databases {
    /// Opens both databases. `statement_timeout` bounds each statement (for the pools that
    /// serve requests; None for the subcommands that rebuild or fill a database).
    pub async fn connect(
        config: &Config,
        statement_timeout: Option<Duration>,
    ) -> anyhow::Result<Self> {
        let timeout = config.database_timeout.into();
        let command = Pools::open(&config.database_url, timeout, statement_timeout)
            .await
            .context("cannot open the command database (DATABASE_URL)")?;
        let read = if config.read_database_url() == config.database_url {
            command.clone()
        } else {
            Pools::open(config.read_database_url(), timeout, statement_timeout)
                .await
                .context("cannot open the read database (READ_DATABASE_URL)")?
        };
        Ok(Self { command, read })
    }

    /// Applies pending migrations: each side's set to its own database. On Postgres, one
    /// instance at a time (several starting together would race on the same DDL), in one
    /// transaction per side, free of the statement timeout.
    pub async fn migrate(&self, config: &Config) -> anyhow::Result<()> {
        let command = MigrationLock::take(&config.database_url).await?;
        migrate::<CommandMigrator>(&self.command.writes)
            .await
            .context("migrating the command database")?;
        command.release().await;
        let read = MigrationLock::take(config.read_database_url()).await?;
        migrate::<ReadMigrator>(&self.read.writes)
            .await
            .context("migrating the read database")?;
        read.release().await;
        Ok(())
    }
}

/// Applies `M`'s pending migrations to `db`: on Postgres in a transaction of their own, which
/// an index build on a large table may need longer for than a request's statements get.
async fn migrate<M: MigratorTrait>(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return M::up(db, None).await;
    }
    let txn = db.begin().await?;
    lift_statement_timeout(&txn).await?;
    M::up(&txn, None).await?;
    txn.commit().await
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
