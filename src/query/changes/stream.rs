//! A listener's stream: replay from the log, then live changes, with no gap and no duplicate.

use std::collections::VecDeque;
use std::sync::Arc;

use futures_util::Stream;
use tokio::sync::broadcast::{self, error::RecvError};

use super::feed::{ChangeFeed, Published};
use super::{Change, ChangeFilter};
use crate::event_log::{EventLog, Position};
use crate::query::{OrganizationDirectory, ParkedEvents, QueryError, ReadProgress, UserDirectory};

const REPLAY_BATCH: u64 = 200;

/// Builds listeners' streams: replay from the log, then live changes.
#[derive(Clone)]
pub struct ChangeStream {
    pub feed: ChangeFeed,
    pub log: EventLog,
    pub progress: ReadProgress,
    pub users: UserDirectory,
    pub organizations: OrganizationDirectory,
    pub parked: ParkedEvents,
}

struct Listener {
    source: ChangeStream,
    filter: ChangeFilter,
    live: broadcast::Receiver<Published>,
    /// Everything up to here was delivered or skipped.
    seen: Position,
    /// While replaying: replay up to here, then go live.
    replay_until: Option<Position>,
    ready: VecDeque<Arc<Change>>,
}

impl ChangeStream {
    /// The changes matching `filter`: after `after` when given, else from now on.
    ///
    /// An `after` beyond the log's head was never handed out: the listener would wait for
    /// it silently, skipping every change up to it, so it is refused. One beyond what this
    /// instance applied is not enough to refuse it (an instance further ahead may have handed
    /// it out), so only then is the log asked for its head.
    pub async fn listen(
        &self,
        filter: ChangeFilter,
        after: Option<Position>,
    ) -> Result<impl Stream<Item = Result<Arc<Change>, QueryError>> + Send + use<>, QueryError>
    {
        if let Some(after) = after
            && after > self.progress.applied()
            && after > self.log.head().await?
        {
            return Err(QueryError::invalid(
                "after",
                "is beyond the last change: not a position this server handed out",
            ));
        }
        // Subscribe before reading the applied position: a change beyond that position is
        // published after this point, so the receiver holds it.
        let live = self.feed.subscribe();
        let applied = self.progress.applied();
        let listener = Listener {
            source: self.clone(),
            filter,
            live,
            seen: after.unwrap_or(applied),
            replay_until: after.map(|_| applied),
            ready: VecDeque::new(),
        };
        // An error ends the stream (the listener resubscribes with `after`) rather than
        // retrying the same failing read forever.
        Ok(futures_util::stream::unfold(
            Some(listener),
            |listener| async move {
                let mut listener = listener?;
                match listener.next().await {
                    Ok(Some(change)) => Some((Ok(change), Some(listener))),
                    Ok(None) => None,
                    Err(error) => Some((Err(error), None)),
                }
            },
        ))
    }
}

impl Listener {
    async fn next(&mut self) -> Result<Option<Arc<Change>>, QueryError> {
        loop {
            if let Some(change) = self.ready.pop_front() {
                return Ok(Some(change));
            }
            if let Some(until) = self.replay_until {
                self.replay_batch(until).await?;
                continue;
            }
            match self.live.recv().await {
                Ok(Published::Change(change)) if change.position <= self.seen => {}
                Ok(Published::Change(change)) => {
                    self.seen = change.position;
                    if self.filter.matches(&change) {
                        return Ok(Some(change));
                    }
                }
                Ok(Published::Resync) | Err(RecvError::Lagged(_)) => {
                    metrics::counter!("rosterql_subscription_catchups_total").increment(1);
                    self.replay_until = Some(self.source.progress.applied())
                }
                Err(RecvError::Closed) => return Ok(None),
            }
        }
    }

    /// Queues the next replayed changes up to `until`; ends the replay when none are left.
    async fn replay_batch(&mut self, until: Position) -> Result<(), QueryError> {
        let batch = self
            .source
            .log
            .read_after(self.seen, REPLAY_BATCH)
            .await?
            .up_to(until);
        let Some(end) = batch.end() else {
            self.replay_until = None;
            return Ok(());
        };
        let matching: Vec<_> = batch
            .events
            .iter()
            .filter(|recorded| self.filter.matches(&Change::describe(recorded)))
            .collect();
        let changes = self.source.with_current_state(&matching).await?;
        self.ready.extend(changes.into_iter().map(Arc::new));
        self.seen = end;
        Ok(())
    }
}
