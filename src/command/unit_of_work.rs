//! The one transaction every command runs in: load, check the version, decide, save with a
//! version guard, append the event, commit, then wake the projector.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use super::store::StoredAggregate;
use super::{CommandContext, CommandError, CommandOutcome, CommandService};
use crate::db;
use crate::domain::DomainError;
use crate::event_log;

impl CommandService {
    /// Opens a command's transaction and fixes its clock (to the microsecond both databases
    /// store).
    pub(super) async fn begin(&self) -> Result<(DatabaseTransaction, DateTime<Utc>), CommandError> {
        let txn = db::begin_write(&self.db).await?;
        Ok((txn, Utc::now().trunc_subsecs(6)))
    }

    /// Stores a new aggregate, created by `event`.
    pub(super) async fn create<A: StoredAggregate>(
        &self,
        context: &CommandContext,
        aggregate: A,
        event: A::Event,
    ) -> Result<CommandOutcome, CommandError> {
        let (txn, now) = self.begin().await?;
        aggregate.insert(&txn, now).await?;
        self.record(txn, now, context, &aggregate, event).await
    }

    /// Runs `decide` on the aggregate `id` at `expected` version and stores the outcome.
    pub(super) async fn update<A: StoredAggregate>(
        &self,
        context: &CommandContext,
        id: Uuid,
        expected: i32,
        decide: impl FnOnce(&A) -> Result<A::Event, DomainError> + Send,
    ) -> Result<CommandOutcome, CommandError> {
        let (txn, now) = self.begin().await?;
        let mut aggregate = A::load(&txn, id)
            .await?
            .ok_or(CommandError::NotFound(A::KIND))?;
        if aggregate.version() != expected {
            return Err(CommandError::VersionConflict {
                expected,
                actual: aggregate.version(),
            });
        }
        let event = decide(&aggregate)?;
        aggregate.apply(&event);
        if !aggregate.save(&txn, expected, now).await? {
            // Another command committed between our read and our write.
            let current = A::load(&txn, id)
                .await?
                .ok_or(CommandError::NotFound(A::KIND))?;
            return Err(CommandError::VersionConflict {
                expected,
                actual: current.version(),
            });
        }
        self.record(txn, now, context, &aggregate, event).await
    }

    /// Appends the aggregate's event, commits, and wakes the projector.
    pub(super) async fn record<A: StoredAggregate>(
        &self,
        txn: DatabaseTransaction,
        now: DateTime<Utc>,
        context: &CommandContext,
        aggregate: &A,
        event: A::Event,
    ) -> Result<CommandOutcome, CommandError> {
        let event = aggregate.to_domain_event(event);
        let position = event_log::append(
            &txn,
            aggregate.id(),
            aggregate.version(),
            &event,
            &context.metadata,
            now,
        )
        .await?;
        txn.commit().await?;
        self.committed.notify_one();
        Ok(CommandOutcome {
            aggregate_id: aggregate.id(),
            version: aggregate.version(),
            position,
        })
    }
}
