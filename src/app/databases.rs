//! The command and read databases, and their migrations.

use anyhow::Context;
use migration::{CommandMigrator, MigratorTrait, ReadMigrator};

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

    /// Applies pending migrations: each side's set to its own database.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        CommandMigrator::up(&self.command.writes, None)
            .await
            .context("migrating the command database")?;
        ReadMigrator::up(&self.read.writes, None)
            .await
            .context("migrating the read database")?;
        Ok(())
    }
}
