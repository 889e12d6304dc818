//! The write side: intent-based commands over the organization and user aggregates.
//!
//! A command is one type implementing [`Command`]: it validates its input into domain
//! values, loads its aggregate, checks the caller's `expectedVersion`, lets the aggregate
//! decide, then saves the new state with a version guard and appends the event in one
//! transaction (see [`unit_of_work`]). The write tables and the event log's writer live in
//! the private [`store`] module: nothing outside `command` can name them, so the read side
//! can neither touch the write tables nor append to the log.

mod change_user_email;
mod change_user_role;
mod create_organization;
mod create_user;
mod delete_user;
mod error;
mod idempotency;
mod reactivate_user;
mod rename_organization;
mod rename_user;
mod seed;
mod suspend_user;
mod unit_of_work;

pub(in crate::command) mod store;

pub use change_user_email::ChangeUserEmail;
pub use change_user_role::ChangeUserRole;
pub use create_organization::CreateOrganization;
pub use create_user::CreateUser;
pub use delete_user::DeleteUser;
pub use error::CommandError;
pub use idempotency::IdempotencyClaim;
pub use reactivate_user::ReactivateUser;
pub use rename_organization::RenameOrganization;
pub use rename_user::RenameUser;
pub use seed::SeedReport;
pub use suspend_user::SuspendUser;

use std::future::Future;
use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::event_log::{EventMetadata, Position};

/// One intent: what the caller asks for, and how the command side carries it out.
pub trait Command: Send {
    /// Validates, decides and records, in one transaction on the command database.
    fn handle(
        self,
        service: &CommandService,
        context: &CommandContext,
    ) -> impl Future<Output = Result<CommandOutcome, CommandError>> + Send;
}

/// The aggregate a command changes, at the version the caller last saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub id: Uuid,
    pub expected_version: i32,
}

/// Who runs a command, recorded with its event, and the idempotency key it runs under.
#[derive(Debug, Clone, Default)]
pub struct CommandContext {
    pub metadata: EventMetadata,
    pub idempotency: Option<IdempotencyClaim>,
}

/// What an accepted command changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandOutcome {
    pub aggregate_id: Uuid,
    pub version: i32,
    pub position: Position,
}

/// Runs commands against the command database.
#[derive(Clone)]
pub struct CommandService {
    db: DatabaseConnection,
    committed: Arc<Notify>,
}

impl CommandService {
    /// `committed` is signalled after every commit, to wake the projector.
    pub fn new(db: DatabaseConnection, committed: Arc<Notify>) -> Self {
        Self { db, committed }
    }

    /// Runs `command` for the caller described by `context`; under an idempotency key that
    /// already ran, answers its first outcome instead.
    pub async fn execute<C: Command>(
        &self,
        context: &CommandContext,
        command: C,
    ) -> Result<CommandOutcome, CommandError> {
        let Some(claim) = &context.idempotency else {
            return command.handle(self, context).await;
        };
        if let Some(first) = self.first_outcome(claim).await? {
            return Ok(first);
        }
        match command.handle(self, context).await {
            // Another attempt took the key in between, and committed: its outcome stands.
            Err(CommandError::IdempotencyKeyTaken) => self
                .first_outcome(claim)
                .await?
                .ok_or(CommandError::IdempotencyKeyTaken),
            result => result,
        }
    }
}
