//! Idempotency keys: the outcome of each mutation sent with an `Idempotency-Key`, stored by
//! its caller, key and field, with a hash of the request, in the same transaction as the
//! command. A retry finds it and gets the first outcome instead of running again.

use crate::sql::Dialects;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const UP: Dialects = Dialects {
    postgres: &[
        "CREATE TABLE idempotency_keys (
            caller text NOT NULL,
            key text NOT NULL,
            field text NOT NULL,
            request_hash text NOT NULL,
            aggregate_id uuid,
            version integer,
            position_tx bigint,
            position_seq bigint,
            created_at timestamptz NOT NULL,
            PRIMARY KEY (caller, key, field)
        )",
        "CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at)",
    ],
    sqlite: &[
        "CREATE TABLE idempotency_keys (
            caller text NOT NULL,
            key text NOT NULL,
            field text NOT NULL,
            request_hash text NOT NULL,
            aggregate_id blob,
            version integer,
            position_tx integer,
            position_seq integer,
            created_at text NOT NULL,
            PRIMARY KEY (caller, key, field)
        )",
        "CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at)",
    ],
};

const DOWN: Dialects = Dialects {
    postgres: &["DROP TABLE idempotency_keys"],
    sqlite: &["DROP TABLE idempotency_keys"],
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
