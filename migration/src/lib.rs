//! Schema migrations for both sides of rosterql.
//!
//! The command (write) database and the read (projection) database may be two different
//! databases, so the migrations come in two sets, each tracked in its own database:
//! [`CommandMigrator`] for `DATABASE_URL` and [`ReadMigrator`] for `READ_DATABASE_URL`.
//! When both URLs name the same database, [`Migrator`] applies the two sets together, which
//! is what `cargo run -p migration -- up` does on `DATABASE_URL`.

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_command_side;
mod m20261126_000002_read_side;
mod sql;

/// The command side: `organizations`, `users` and the `events` log.
pub struct CommandMigrator;

/// The read side: `organization_profiles`, `user_profiles` and the projector checkpoint.
pub struct ReadMigrator;

/// Both sides in one database (the default deployment).
pub struct Migrator;

fn command_migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(m20261126_000001_command_side::Migration)]
}

fn read_migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(m20261126_000002_read_side::Migration)]
}

#[async_trait::async_trait]
impl MigratorTrait for CommandMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        command_migrations()
    }
}

#[async_trait::async_trait]
impl MigratorTrait for ReadMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        read_migrations()
    }
}

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = command_migrations();
        all.extend(read_migrations());
        all.sort_by(|a, b| a.name().cmp(b.name()));
        all
    }
}
