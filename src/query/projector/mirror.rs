//! What this instance holds of the read side besides its tables: the cache, the applied
//! position (which releases consistency-token waiters) and its subscribers' feed. After a
//! batch commits they move in that order — cache, position, subscribers — whether this
//! instance applied the batch or learnt of it, so no reader holding a token can meet an
//! entry the batch made stale, and no listener gets a change it cannot then query.

use std::sync::Arc;

use tokio::sync::watch;

use crate::event_log::Position;
use crate::query::cache::{CacheUpdate, UserCache};
use crate::query::changes::{Change, ChangeFeed};

pub struct Mirror {
    pub cache: Arc<UserCache>,
    pub applied: watch::Sender<Position>,
    pub feed: ChangeFeed,
}

impl Mirror {
    /// The position this instance has applied.
    pub fn applied(&self) -> Position {
        *self.applied.borrow()
    }

    /// A batch brought the read side to `to`.
    pub async fn landed(&self, to: Position, cache: Vec<CacheUpdate>, changes: Vec<Change>) {
        self.cache.apply(cache, to).await;
        self.advance(to);
        self.feed.publish(changes);
        record_position(to);
    }

    /// The read side is at `to` by ways no update names (a rebuild, a batch whose effects
    /// were lost): every cache entry goes, every listener catches up from the log.
    pub async fn reset(&self, to: Position) {
        self.cache.clear().await;
        self.advance(to);
        self.feed.resync();
    }

    /// Positions only move forward: a waiter released stays released.
    fn advance(&self, to: Position) {
        self.applied.send_if_modified(|applied| {
            let later = to > *applied;
            if later {
                *applied = to;
            }
            later
        });
    }
}

/// Exports `position` as the read side's (`rosterql_projector_position`).
pub fn record_position(position: Position) {
    metrics::gauge!("rosterql_projector_position", "part" => "tx").set(position.tx as f64);
    metrics::gauge!("rosterql_projector_position", "part" => "seq").set(position.seq as f64);
}
