//! The broadcast the projector publishes committed changes to.

use std::sync::Arc;

use tokio::sync::broadcast;

use super::Change;

/// What the projector broadcasts.
#[derive(Debug, Clone)]
pub(super) enum Published {
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

    /// A receiver of everything published from now on.
    pub(super) fn subscribe(&self) -> broadcast::Receiver<Published> {
        self.sender.subscribe()
    }

    pub fn publish(&self, changes: Vec<Change>) {
        for change in changes {
            // No listener is not an error.
            let _ = self.sender.send(Published::Change(Arc::new(change)));
        }
    }

    /// True while anyone listens on this instance.
    pub fn has_listeners(&self) -> bool {
        self.sender.receiver_count() > 0
    }

    /// Tells every listener to catch up from the log (see [`Published::Resync`]).
    pub fn resync(&self) {
        let _ = self.sender.send(Published::Resync);
    }
}
