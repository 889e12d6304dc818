//! Schema migrations for both sides of rosterql.
//!
//! The command (write) database and the read (projection) database may be two different
//! databases, so the migrations come in two sets, each tracked in its own table:
//! [`CommandMigrator`] (in `seaql_migrations_command`) runs on `DATABASE_URL` and
//! [`ReadMigrator`] (in `seaql_migrations_read`) on `READ_DATABASE_URL`. Both always run,
//! whether the two URLs name one database or two, so a database can later be split.

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_command_side;
mod m20261126_000002_read_side;
mod m20261129_000003_checkpoint_log_identity;
mod m20261129_000004_idempotency_keys;
mod m20261129_000005_parked_events;
mod sql;

/// The command side: `organizations`, `users`, the `events` log and the outcomes of
/// mutations sent with an idempotency key.
pub struct CommandMigrator;

/// The read side: `organization_profiles`, `user_profiles`, the projector checkpoint (with
/// the identity of the log it counts in) and the events the projector parked.
pub struct ReadMigrator;

#[async_trait::async_trait]
impl MigratorTrait for CommandMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_command_side::Migration),
            Box::new(m20261129_000004_idempotency_keys::Migration),
        ]
    }

    fn migration_table_name() -> DynIden {
        "seaql_migrations_command".into_iden()
    }
}

#[async_trait::async_trait]
impl MigratorTrait for ReadMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000002_read_side::Migration),
            Box::new(m20261129_000003_checkpoint_log_identity::Migration),
            Box::new(m20261129_000005_parked_events::Migration),
        ]
    }

    fn migration_table_name() -> DynIden {
        "seaql_migrations_read".into_iden()
    }
}
