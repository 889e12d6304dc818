//! Naming the session whose open transaction holds newer events back from the projector
//! (Postgres' horizon is the whole cluster's: any session's transaction can hold it). Once
//! events have been held back for a second the leader names the oldest such session in
//! the log, again at once when another session becomes the oldest, and every ten seconds
//! while it stays the same.

use std::time::{Duration, Instant};

use crate::event_log::EventLog;

const WARN_AFTER: Duration = Duration::from_secs(1);
/// How often to look for the holder while held back.
const LOOK_EVERY: Duration = Duration::from_secs(1);
const REPEAT_EVERY: Duration = Duration::from_secs(10);

#[derive(Default)]
pub(super) struct HeldBack {
    since: Option<Instant>,
    looked_at: Option<Instant>,
    /// The session named last (its pid), and when.
    named: Option<(i32, Instant)>,
}

impl HeldBack {
    /// Events are held back now.
    pub(super) async fn note(&mut self, log: &EventLog) {
        let since = *self.since.get_or_insert_with(Instant::now);
        let looked_lately = self
            .looked_at
            .is_some_and(|looked| looked.elapsed() < LOOK_EVERY);
        if since.elapsed() < WARN_AFTER || looked_lately {
            return;
        }
        self.looked_at = Some(Instant::now());
        match log.horizon_holder().await {
            Ok(Some(holder)) => {
                let repeat = match self.named {
                    Some((pid, at)) => pid != holder.pid || at.elapsed() >= REPEAT_EVERY,
                    None => true,
                };
                if repeat {
                    self.named = Some((holder.pid, Instant::now()));
                    tracing::warn!(
                        held_for = ?since.elapsed(),
                        "newer events are held back by an open transaction: {}",
                        holder.description
                    );
                }
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "cannot name the transaction holding events back"),
        }
    }

    /// Events are not held back (any more).
    pub(super) fn clear(&mut self) {
        *self = Self::default();
    }
}
