//! Parked events: the events the projector could not apply and set aside, each with its
//! error and the attempts made, keyed by its position in the log. Every later event of a
//! parked aggregate is parked behind it, so an aggregate's events are never applied out of
//! order. Written in the same transaction as the checkpoint that moves past them.

use crate::sql::Dialects;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const UP: Dialects = Dialects {
    postgres: &[
        "CREATE TABLE parked_events (
            tx bigint NOT NULL,
            seq bigint NOT NULL,
            aggregate_type text NOT NULL,
            aggregate_id uuid NOT NULL,
            event text NOT NULL,
            error text NOT NULL,
            attempts integer NOT NULL,
            parked_at timestamptz NOT NULL,
            PRIMARY KEY (tx, seq)
        )",
        "CREATE INDEX parked_events_aggregate_idx ON parked_events (aggregate_id)",
    ],
    sqlite: &[
        "CREATE TABLE parked_events (
            tx integer NOT NULL,
            seq integer NOT NULL,
            aggregate_type text NOT NULL,
            aggregate_id blob NOT NULL,
            event text NOT NULL,
            error text NOT NULL,
            attempts integer NOT NULL,
            parked_at text NOT NULL,
            PRIMARY KEY (tx, seq)
        )",
        "CREATE INDEX parked_events_aggregate_idx ON parked_events (aggregate_id)",
    ],
};

const DOWN: Dialects = Dialects {
    postgres: &["DROP TABLE parked_events"],
    sqlite: &["DROP TABLE parked_events"],
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
