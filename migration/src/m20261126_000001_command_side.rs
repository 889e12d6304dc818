//! The command side: aggregates with their version column, and the append-only event log.
//!
//! On Postgres every event records the id of the transaction that wrote it (`tx_id xid8`), so
//! the projector can read only events whose transactions can no longer commit out of order
//! (below `pg_snapshot_xmin`). SQLite has a single writer, so commit order is position order
//! and `tx_id` stays 0 there.

use crate::sql::Dialects;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const UP: Dialects = Dialects {
    postgres: &[
        "CREATE TABLE organizations (
            id uuid PRIMARY KEY,
            slug text NOT NULL,
            name text NOT NULL,
            version integer NOT NULL,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            CONSTRAINT organizations_slug_key UNIQUE (slug)
        )",
        "CREATE TABLE users (
            id uuid PRIMARY KEY,
            organization_id uuid NOT NULL REFERENCES organizations (id),
            email text NOT NULL,
            name text NOT NULL,
            role text NOT NULL,
            status text NOT NULL,
            deleted boolean NOT NULL DEFAULT false,
            version integer NOT NULL,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        )",
        "CREATE UNIQUE INDEX users_email_key ON users (email) WHERE NOT deleted",
        "CREATE TABLE events (
            position bigserial PRIMARY KEY,
            tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
            aggregate_type text NOT NULL,
            aggregate_id uuid NOT NULL,
            aggregate_version integer NOT NULL,
            event_type text NOT NULL,
            payload jsonb NOT NULL,
            metadata jsonb NOT NULL,
            recorded_at timestamptz NOT NULL,
            CONSTRAINT events_aggregate_version_key UNIQUE (aggregate_id, aggregate_version)
        )",
        "CREATE INDEX events_tx_position_idx ON events (tx_id, position)",
    ],
    sqlite: &[
        "CREATE TABLE organizations (
            id blob PRIMARY KEY,
            slug text NOT NULL,
            name text NOT NULL,
            version integer NOT NULL,
            created_at text NOT NULL,
            updated_at text NOT NULL,
            CONSTRAINT organizations_slug_key UNIQUE (slug)
        )",
        "CREATE TABLE users (
            id blob PRIMARY KEY,
            organization_id blob NOT NULL REFERENCES organizations (id),
            email text NOT NULL,
            name text NOT NULL,
            role text NOT NULL,
            status text NOT NULL,
            deleted boolean NOT NULL DEFAULT false,
            version integer NOT NULL,
            created_at text NOT NULL,
            updated_at text NOT NULL
        )",
        "CREATE UNIQUE INDEX users_email_key ON users (email) WHERE NOT deleted",
        "CREATE TABLE events (
            position integer PRIMARY KEY AUTOINCREMENT,
            tx_id integer NOT NULL DEFAULT 0,
            aggregate_type text NOT NULL,
            aggregate_id blob NOT NULL,
            aggregate_version integer NOT NULL,
            event_type text NOT NULL,
            payload text NOT NULL,
            metadata text NOT NULL,
            recorded_at text NOT NULL,
            CONSTRAINT events_aggregate_version_key UNIQUE (aggregate_id, aggregate_version)
        )",
        "CREATE INDEX events_tx_position_idx ON events (tx_id, position)",
    ],
};

const DOWN: Dialects = Dialects {
    postgres: &[
        "DROP TABLE events",
        "DROP TABLE users",
        "DROP TABLE organizations",
    ],
    sqlite: &[
        "DROP TABLE events",
        "DROP TABLE users",
        "DROP TABLE organizations",
    ],
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
