//! The read side: flat rows that answer every query without a join, and the projector's
//! checkpoint.
//!
//! `user_profiles` carries its organization's id, slug and name. `name_folded` is the name
//! lower-cased by the service (Unicode-aware, unlike SQLite's `lower`), used for ordering and
//! search; it sorts by code point on both backends (`COLLATE "C"` on Postgres, whose default
//! collation would order names differently from SQLite). Every row remembers the position of the last event applied to it
//! (`applied_tx`, `applied_seq`). Search is a substring match, served by trigram indexes on
//! both backends: `pg_trgm` GIN indexes on Postgres, an FTS5 `trigram` table on SQLite
//! (kept in step by triggers, keyed by the stable `search_rowid`).

use crate::sql::Dialects;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const UP: Dialects = Dialects {
    postgres: &[
        "CREATE TABLE organization_profiles (
            id uuid PRIMARY KEY,
            slug text NOT NULL,
            name text NOT NULL,
            member_count integer NOT NULL,
            active_member_count integer NOT NULL,
            version integer NOT NULL,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            applied_tx bigint NOT NULL,
            applied_seq bigint NOT NULL
        )",
        "CREATE UNIQUE INDEX organization_profiles_slug_idx ON organization_profiles (slug)",
        "CREATE INDEX organization_profiles_created_idx ON organization_profiles (created_at, id)",
        "CREATE TABLE user_profiles (
            id uuid PRIMARY KEY,
            organization_id uuid NOT NULL,
            organization_slug text NOT NULL,
            organization_name text NOT NULL,
            email text NOT NULL,
            name text NOT NULL,
            name_folded text COLLATE \"C\" NOT NULL,
            role text NOT NULL,
            status text NOT NULL,
            version integer NOT NULL,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            applied_tx bigint NOT NULL,
            applied_seq bigint NOT NULL
        )",
        "CREATE INDEX user_profiles_email_idx ON user_profiles (email)",
        "CREATE INDEX user_profiles_name_idx ON user_profiles (name_folded, id)",
        "CREATE INDEX user_profiles_created_idx ON user_profiles (created_at, id)",
        "CREATE INDEX user_profiles_org_name_idx ON user_profiles (organization_id, name_folded, id)",
        "CREATE INDEX user_profiles_org_created_idx ON user_profiles (organization_id, created_at, id)",
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        "CREATE INDEX user_profiles_name_trgm_idx ON user_profiles USING gin (name_folded gin_trgm_ops)",
        "CREATE INDEX user_profiles_email_trgm_idx ON user_profiles USING gin (email gin_trgm_ops)",
        "CREATE TABLE projector_checkpoints (
            projector text PRIMARY KEY,
            tx bigint NOT NULL,
            seq bigint NOT NULL,
            updated_at timestamptz NOT NULL
        )",
    ],
    sqlite: &[
        "CREATE TABLE organization_profiles (
            id blob PRIMARY KEY,
            slug text NOT NULL,
            name text NOT NULL,
            member_count integer NOT NULL,
            active_member_count integer NOT NULL,
            version integer NOT NULL,
            created_at text NOT NULL,
            updated_at text NOT NULL,
            applied_tx integer NOT NULL,
            applied_seq integer NOT NULL
        )",
        "CREATE UNIQUE INDEX organization_profiles_slug_idx ON organization_profiles (slug)",
        "CREATE INDEX organization_profiles_created_idx ON organization_profiles (created_at, id)",
        "CREATE TABLE user_profiles (
            search_rowid integer PRIMARY KEY,
            id blob NOT NULL UNIQUE,
            organization_id blob NOT NULL,
            organization_slug text NOT NULL,
            organization_name text NOT NULL,
            email text NOT NULL,
            name text NOT NULL,
            name_folded text NOT NULL,
            role text NOT NULL,
            status text NOT NULL,
            version integer NOT NULL,
            created_at text NOT NULL,
            updated_at text NOT NULL,
            applied_tx integer NOT NULL,
            applied_seq integer NOT NULL
        )",
        "CREATE INDEX user_profiles_email_idx ON user_profiles (email)",
        "CREATE INDEX user_profiles_name_idx ON user_profiles (name_folded, id)",
        "CREATE INDEX user_profiles_created_idx ON user_profiles (created_at, id)",
        "CREATE INDEX user_profiles_org_name_idx ON user_profiles (organization_id, name_folded, id)",
        "CREATE INDEX user_profiles_org_created_idx ON user_profiles (organization_id, created_at, id)",
        "CREATE VIRTUAL TABLE user_profiles_search USING fts5(
            name_folded, email, content = 'user_profiles', content_rowid = 'search_rowid',
            tokenize = 'trigram'
        )",
        "CREATE TRIGGER user_profiles_search_insert AFTER INSERT ON user_profiles BEGIN
            INSERT INTO user_profiles_search (rowid, name_folded, email)
                VALUES (new.search_rowid, new.name_folded, new.email);
        END",
        "CREATE TRIGGER user_profiles_search_delete AFTER DELETE ON user_profiles BEGIN
            INSERT INTO user_profiles_search (user_profiles_search, rowid, name_folded, email)
                VALUES ('delete', old.search_rowid, old.name_folded, old.email);
        END",
        "CREATE TRIGGER user_profiles_search_update AFTER UPDATE OF name_folded, email ON user_profiles BEGIN
            INSERT INTO user_profiles_search (user_profiles_search, rowid, name_folded, email)
                VALUES ('delete', old.search_rowid, old.name_folded, old.email);
            INSERT INTO user_profiles_search (rowid, name_folded, email)
                VALUES (new.search_rowid, new.name_folded, new.email);
        END",
        "CREATE TABLE projector_checkpoints (
            projector text PRIMARY KEY,
            tx integer NOT NULL,
            seq integer NOT NULL,
            updated_at text NOT NULL
        )",
    ],
};

const DOWN: Dialects = Dialects {
    postgres: &[
        "DROP TABLE projector_checkpoints",
        "DROP TABLE user_profiles",
        "DROP TABLE organization_profiles",
    ],
    sqlite: &[
        "DROP TABLE projector_checkpoints",
        "DROP TABLE user_profiles_search",
        "DROP TABLE user_profiles",
        "DROP TABLE organization_profiles",
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
