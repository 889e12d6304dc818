//! Idempotent retries: a command sent with an idempotency key runs at most once per caller,
//! key and field. Its transaction first claims the key (on Postgres, waiting for another
//! attempt still holding it, on any instance), then records its outcome there before it
//! commits; a retry with the same request gets that outcome without running the command
//! again, and the same key with another request is refused.

use chrono::{DateTime, Utc};

use super::store::idempotency;
use super::{CommandError, CommandOutcome, CommandService};

/// A mutation's idempotency key: whose, which, for which field of the request, and the hash
/// of the request it came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyClaim {
    /// The caller's token subject.
    pub caller: String,
    pub key: String,
    /// The mutation's response key (its alias, else its name) in the request.
    pub field: String,
    pub request_hash: String,
}

impl CommandService {
    /// The outcome stored under `claim`'s key, if a command already ran with it; refused
    /// when it came with another request.
    pub(super) async fn first_outcome(
        &self,
        claim: &IdempotencyClaim,
    ) -> Result<Option<CommandOutcome>, CommandError> {
        let Some(stored) = idempotency::find(&self.db, claim).await? else {
            return Ok(None);
        };
        if stored.request_hash != claim.request_hash {
            return Err(CommandError::IdempotencyKeyReused);
        }
        if stored.outcome.is_some() {
            metrics::counter!("rosterql_idempotent_replays_total").increment(1);
        }
        Ok(stored.outcome)
    }

    /// Forgets the keys taken before `before` (a retry after that runs again); returns how
    /// many.
    pub async fn purge_idempotency_keys(&self, before: DateTime<Utc>) -> Result<u64, CommandError> {
        Ok(idempotency::purge(&self.db, before).await?)
    }
}
