//! The identity of the event log a checkpoint counts in.
//!
//! A checkpoint's position only means something in the log it was taken from. A command
//! database restored from a logical dump, or moved by logical replication, keeps its events
//! but restarts the transaction-id counter its new events are numbered by, so they would
//! sort below the checkpoint and never be projected. The projector records the log's
//! identity (Postgres' `system_identifier`) beside the checkpoint and refuses to go on
//! when it changes.

use crate::sql::Dialects;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const ADD_COLUMN: &str = "ALTER TABLE projector_checkpoints ADD COLUMN log_identity text";
const DROP_COLUMN: &str = "ALTER TABLE projector_checkpoints DROP COLUMN log_identity";

const UP: Dialects = Dialects {
    postgres: &[ADD_COLUMN],
    sqlite: &[ADD_COLUMN],
};

const DOWN: Dialects = Dialects {
    postgres: &[DROP_COLUMN],
    sqlite: &[DROP_COLUMN],
};

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        UP.run(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        DOWN.run(manager).await
    }
}
