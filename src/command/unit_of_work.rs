//! The one transaction every command runs in: load, check the version, decide, save with a
//! version guard, append the event, commit, then wake the projector.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::DatabaseTransaction;

use super::store::{StoredAggregate, events};
use super::{CommandContext, CommandError, CommandOutcome, CommandService, Target};
use crate::db;
use crate::domain::DomainError;

impl CommandService {
    /// Opens a command's transaction and fixes its clock (to the microsecond both databases
    /// store).
    pub(super) async fn begin(&self) -> Result<(DatabaseTransaction, DateTime<Utc>), CommandError> {
        let txn = db::begin_write(&self.db).await?;
        Ok((txn, Utc::now().trunc_subsecs(6)))
    }

    /// Stores a new aggregate, created by `event`, on a transaction from [`Self::begin`].
    pub(super) async fn insert<A: StoredAggregate>(
        &self,
        txn: DatabaseTransaction,
        now: DateTime<Utc>,
        context: &CommandContext,
        aggregate: A,
        event: A::Event,
    ) -> Result<CommandOutcome, CommandError> {
        aggregate.insert(&txn, now).await?;
        self.record(txn, now, context, &aggregate, event).await
    }

    /// Runs `decide` on the aggregate `target` names, at the version it expects, and stores
    /// the outcome.
    pub(super) async fn update<A: StoredAggregate>(
        &self,
        context: &CommandContext,
        target: Target,
        decide: impl FnOnce(&A) -> Result<A::Event, DomainError> + Send,
    ) -> Result<CommandOutcome, CommandError> {
        let (txn, now) = self.begin().await?;
        let mut aggregate = load::<A>(&txn, target).await?;
        let expected = target.expected_version;
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
            let current = load::<A>(&txn, target).await?;
            return Err(CommandError::VersionConflict {
                expected,
                actual: current.version(),
            });
        }
        self.record(txn, now, context, &aggregate, event).await
    }

    /// Appends the aggregate's event, commits, and wakes the projector.
    async fn record<A: StoredAggregate>(
        &self,
        txn: DatabaseTransaction,
        now: DateTime<Utc>,
        context: &CommandContext,
        aggregate: &A,
        event: A::Event,
    ) -> Result<CommandOutcome, CommandError> {
        let event = aggregate.to_domain_event(event);
        let position = events::append(
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

/// The live aggregate `target` names.
async fn load<A: StoredAggregate>(
    txn: &DatabaseTransaction,
    target: Target,
) -> Result<A, CommandError> {
    A::load(txn, target.id)
        .await?
        .ok_or(CommandError::NotFound(A::KIND))
}
