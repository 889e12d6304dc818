//! The instance's shutdown as the parts that must react to it see it: `/readyz` turns 503
//! at once (a load balancer stops sending), WebSockets are closed with 1001 (going away),
//! and the requests and sockets still open are counted, so the log can say what was
//! drained.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::watch;

/// Starts the drain; held by the application.
pub struct DrainSwitch(watch::Sender<bool>);

impl DrainSwitch {
    pub fn start(&self) {
        self.0.send_replace(true);
    }
}

/// Whether the instance is draining, and what it still has open.
#[derive(Clone)]
pub struct Draining {
    started: watch::Receiver<bool>,
    open: Arc<Open>,
}

#[derive(Debug, Default)]
struct Open {
    requests: AtomicUsize,
    websockets: AtomicUsize,
}

/// What is open at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenNow {
    pub requests: usize,
    pub websockets: usize,
}

/// A switch and the view of it the parts share.
pub fn draining() -> (DrainSwitch, Draining) {
    let (switch, started) = watch::channel(false);
    let draining = Draining {
        started,
        open: Arc::default(),
    };
    (DrainSwitch(switch), draining)
}

impl Draining {
    pub fn has_started(&self) -> bool {
        *self.started.borrow()
    }

    /// Resolves once the drain has started (at once if it has).
    pub async fn started(&self) {
        let mut started = self.started.clone();
        // An error means the switch is gone: the application is, too.
        let _ = started.wait_for(|started| *started).await;
    }

    /// Counts a request as open until the guard drops.
    pub fn request(&self) -> OpenGuard {
        OpenGuard::new(self.open.clone(), |open| &open.requests)
    }

    /// Counts a WebSocket as open until the guard drops.
    pub fn websocket(&self) -> OpenGuard {
        OpenGuard::new(self.open.clone(), |open| &open.websockets)
    }

    pub fn open(&self) -> OpenNow {
        OpenNow {
            requests: self.open.requests.load(Ordering::Acquire),
            websockets: self.open.websockets.load(Ordering::Acquire),
        }
    }
}

/// One open request or socket.
pub struct OpenGuard {
    open: Arc<Open>,
    count: fn(&Open) -> &AtomicUsize,
}

impl OpenGuard {
    fn new(open: Arc<Open>, count: fn(&Open) -> &AtomicUsize) -> Self {
        count(&open).fetch_add(1, Ordering::AcqRel);
        Self { open, count }
    }
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        (self.count)(&self.open).fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn guards_count_what_is_open_and_the_switch_is_seen_by_every_clone() {
        let (switch, draining) = draining();
        let request = draining.request();
        let socket = draining.clone().websocket();
        assert_eq!(
            draining.open(),
            OpenNow {
                requests: 1,
                websockets: 1
            }
        );
        drop(request);
        assert_eq!(draining.open().requests, 0);
        assert!(!draining.has_started());
        let waiter = tokio::spawn({
            let draining = draining.clone();
            async move { draining.started().await }
        });
        switch.start();
        waiter.await.expect("the waiter sees the drain start");
        assert!(draining.has_started());
        drop(socket);
        assert_eq!(draining.open().websockets, 0);
    }
}
