//! The one transaction every command runs in: claim its idempotency key (if it has one),
//! load, check the version, decide, save with a version guard, append the event, record the
//! outcome under the key, commit, then wake the projector.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::DatabaseTransaction;

use super::store::{StoredAggregate, events, idempotency};
use super::{CommandContext, CommandError, CommandOutcome, CommandService, Target};
use crate::db;
use crate::domain::DomainError;

impl CommandService {
    /// Opens a command's transaction, fixes its clock (to the microsecond both databases
    /// store) and claims the idempotency key of `context`, if it has one.
    pub(super) async fn begin(
        &self,
        context: &CommandContext,
    ) -> Result<(DatabaseTransaction, DateTime<Utc>), CommandError> {
        let txn = db::begin_write(&self.db).await?;
        let now = Utc::now().trunc_subsecs(6);
        if let Some(claim) = &context.idempotency
            && !idempotency::claim(&txn, claim, now).await?
        {
            return Err(CommandError::IdempotencyKeyTaken);
        }
        Ok((txn, now))
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
        let (txn, now) = self.begin(context).await?;
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
        let outcome = CommandOutcome {
            aggregate_id: aggregate.id(),
            version: aggregate.version(),
            position,
        };
        if let Some(claim) = &context.idempotency {
            idempotency::complete(&txn, claim, &outcome).await?;
        }
        txn.commit().await?;
        self.committed.notify_one();
        Ok(outcome)
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
