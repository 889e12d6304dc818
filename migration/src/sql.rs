//! Runs a migration's statements, picking the dialect of the connected backend.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// The same schema written once per dialect: each entry is one statement.
pub(crate) struct Dialects {
    pub postgres: &'static [&'static str],
    pub sqlite: &'static [&'static str],
}

impl Dialects {
    pub(crate) async fn run(&self, manager: &SchemaManager<'_>) -> Result<(), DbErr> {
        let statements = match manager.get_database_backend() {
            DbBackend::Postgres => self.postgres,
            DbBackend::Sqlite => self.sqlite,
            other => {
                return Err(DbErr::Migration(format!(
                    "rosterql supports Postgres and SQLite, not {other:?}"
                )));
            }
        };
        for statement in statements {
            manager
                .get_connection()
                .execute_unprepared(statement)
                .await?;
        }
        Ok(())
    }
}
