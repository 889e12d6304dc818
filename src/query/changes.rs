//! Change notifications for subscriptions.
//!
//! The projector publishes each change after its transaction has committed and after the
//! applied position moved past it, so a listener that gets a change and then queries sees
//! at least that state. [`ChangeStream`] adds replay: a listener that names a position it
//! already saw first gets every change after it (rebuilt from the event log, with the
//! current read-side state), then the live ones, with no gap and no duplicate; a listener
//! that falls behind the broadcast buffer, or misses a batch the projector could not
//! publish, is caught up the same way.

use std::collections::VecDeque;
use std::sync::Arc;

use futures_util::Stream;
use tokio::sync::broadcast::{self, error::RecvError};
use uuid::Uuid;

use super::{
    OrganizationDirectory, OrganizationProfile, QueryError, ReadProgress, UserDirectory,
    UserProfile,
};
use crate::domain::{DomainEvent, OrganizationEvent, UserEvent};
use crate::event_log::{EventLog, Position, RecordedEvent};

const REPLAY_BATCH: u64 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Created,
    Updated,
    Deleted,
}

/// What changed, with the read-side state after the change (None once deleted).
#[derive(Debug, Clone)]
pub enum Subject {
    User {
        user_id: Uuid,
        organization_id: Uuid,
        user: Option<Arc<UserProfile>>,
    },
    Organization {
        organization_id: Uuid,
        organization: Option<Arc<OrganizationProfile>>,
    },
}

#[derive(Debug, Clone)]
pub struct Change {
    pub kind: ChangeKind,
    /// The domain event's name.
    pub event: &'static str,
    pub position: Position,
    pub subject: Subject,
}

impl Change {
    /// The change an event describes, without state yet.
    pub fn describe(recorded: &RecordedEvent) -> Self {
        let (kind, subject) = match &recorded.event {
            DomainEvent::Organization(event) => (
                match event {
                    OrganizationEvent::OrganizationCreated { .. } => ChangeKind::Created,
                    OrganizationEvent::OrganizationRenamed { .. } => ChangeKind::Updated,
                },
                Subject::Organization {
                    organization_id: recorded.aggregate_id,
                    organization: None,
                },
            ),
            DomainEvent::User(member) => (
                match member.event {
                    UserEvent::UserCreated { .. } => ChangeKind::Created,
                    UserEvent::UserDeleted => ChangeKind::Deleted,
                    _ => ChangeKind::Updated,
                },
                Subject::User {
                    user_id: recorded.aggregate_id,
                    organization_id: member.organization_id,
                    user: None,
                },
            ),
        };
        Self {
            kind,
            event: recorded.event.name(),
            position: recorded.position,
            subject,
        }
    }
}

/// Which changes a listener wants.
#[derive(Debug, Clone, Copy)]
pub enum ChangeFilter {
    Users {
        organization_id: Option<Uuid>,
        user_id: Option<Uuid>,
    },
    Organizations {
        id: Option<Uuid>,
    },
}

impl ChangeFilter {
    pub fn matches(&self, change: &Change) -> bool {
        let wanted = |filter: Option<Uuid>, id: Uuid| filter.is_none_or(|wanted| wanted == id);
        match (self, &change.subject) {
            (
                Self::Users {
                    organization_id,
                    user_id,
                },
                Subject::User {
                    user_id: id,
                    organization_id: organization,
                    ..
                },
            ) => wanted(*organization_id, *organization) && wanted(*user_id, *id),
            (
                Self::Organizations { id },
                Subject::Organization {
                    organization_id, ..
                },
            ) => wanted(*id, *organization_id),
            _ => false,
        }
    }
}

/// What the projector broadcasts.
#[derive(Debug, Clone)]
enum Published {
    Change(Arc<Change>),
    /// The read side moved without its changes being published (a commit that reported
    /// failure but landed): every listener catches up from the log.
    Resync,
}

/// The broadcast the projector publishes to.
#[derive(Clone)]
pub struct ChangeFeed {
    sender: broadcast::Sender<Published>,
}

impl ChangeFeed {
    pub fn new(capacity: usize) -> Self {
        Self {
            sender: broadcast::channel(capacity).0,
        }
    }

    pub fn publish(&self, changes: Vec<Change>) {
        for change in changes {
            // No listener is not an error.
            let _ = self.sender.send(Published::Change(Arc::new(change)));
        }
    }

    /// Tells every listener to catch up from the log (see [`Published::Resync`]).
    pub fn resync(&self) {
        let _ = self.sender.send(Published::Resync);
    }
}

/// Builds listeners' streams: replay from the log, then live changes.
#[derive(Clone)]
pub struct ChangeStream {
    pub feed: ChangeFeed,
    pub log: EventLog,
    pub progress: ReadProgress,
    pub users: UserDirectory,
    pub organizations: OrganizationDirectory,
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
    pub fn listen(
        &self,
        filter: ChangeFilter,
        after: Option<Position>,
    ) -> impl Stream<Item = Result<Arc<Change>, QueryError>> + Send + use<> {
        // Subscribe before reading the applied position: a change beyond that position is
        // published after this point, so the receiver holds it.
        let live = self.feed.sender.subscribe();
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
        futures_util::stream::unfold(Some(listener), |listener| async move {
            let mut listener = listener?;
            match listener.next().await {
                Ok(Some(change)) => Some((Ok(change), Some(listener))),
                Ok(None) => None,
                Err(error) => Some((Err(error), None)),
            }
        })
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
                    self.replay_until = Some(self.source.progress.applied())
                }
                Err(RecvError::Closed) => return Ok(None),
            }
        }
    }

    /// Queues the next replayed changes up to `until`; ends the replay when none are left.
    async fn replay_batch(&mut self, until: Position) -> Result<(), QueryError> {
        let batch = self.source.log.read_after(self.seen, REPLAY_BATCH).await?;
        let events: Vec<_> = batch
            .events
            .into_iter()
            .take_while(|event| event.position <= until)
            .collect();
        if events.is_empty() {
            self.replay_until = None;
            return Ok(());
        }
        for recorded in events {
            self.seen = recorded.position;
            let change = Change::describe(&recorded);
            if self.filter.matches(&change) {
                self.ready
                    .push_back(Arc::new(self.with_current_state(change).await?));
            }
        }
        Ok(())
    }

    async fn with_current_state(&self, mut change: Change) -> Result<Change, QueryError> {
        match &mut change.subject {
            Subject::User { user_id, user, .. } => {
                *user = self.source.users.by_id(*user_id).await?
            }
            Subject::Organization {
                organization_id,
                organization,
            } => {
                *organization = self
                    .source
                    .organizations
                    .by_id(*organization_id)
                    .await?
                    .map(Arc::new);
            }
        }
        Ok(change)
    }
}
