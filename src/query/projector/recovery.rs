//! How the leader gets past an event it cannot apply. A batch that fails on an event's
//! account is narrowed down: from its first event up to where it ended, batches hold one
//! event each, so the events ahead of the bad one land and the bad one is found. That event
//! is retried a bounded number of times with a doubling pause, then parked (see
//! [`parked`](super::parked)) and the log goes on. A database that cannot be reached is no
//! event's fault: that is retried for as long as it lasts, and parks nothing.

use std::time::Duration;

use super::BATCH_SIZE;
use crate::event_log::Position;

/// How often an event is tried before it is parked.
pub(super) const MAX_ATTEMPTS: i32 = 4;
/// The pause after an event's first failure; it doubles with each one after.
const FIRST_PAUSE: Duration = Duration::from_millis(100);

/// The leader's progress through a failure.
#[derive(Debug, Default)]
pub(super) struct Recovery {
    /// Batches hold one event each until past here: a batch that ended here failed.
    narrow_until: Option<Position>,
    /// The event failing now, and how often it has failed.
    failing: Option<(Position, i32)>,
}

impl Recovery {
    /// How many events the batch starting after `from` may take.
    pub(super) fn batch_size(&self, from: Position) -> u64 {
        match self.narrow_until {
            Some(until) if from < until => 1,
            _ => BATCH_SIZE,
        }
    }

    /// A batch of several events that ended at `end` failed on an event's account.
    pub(super) fn narrow(&mut self, end: Position) {
        self.narrow_until = Some(end);
    }

    /// The event at `position` failed once more: how often it has failed now.
    pub(super) fn failed(&mut self, position: Position) -> i32 {
        let attempts = match self.failing {
            Some((failing, attempts)) if failing == position => attempts + 1,
            _ => 1,
        };
        self.failing = Some((position, attempts));
        attempts
    }

    /// The pause before trying again an event that failed `attempts` times.
    pub(super) fn pause(attempts: i32) -> Duration {
        FIRST_PAUSE * 2_u32.pow(u32::try_from(attempts - 1).unwrap_or(0))
    }

    /// The log is applied (or parked) up to `position`.
    pub(super) fn passed(&mut self, position: Position) {
        if self.failing.is_some_and(|(failing, _)| failing <= position) {
            self.failing = None;
        }
        if self.narrow_until.is_some_and(|until| until <= position) {
            self.narrow_until = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seq: i64) -> Position {
        Position { tx: 0, seq }
    }

    #[test]
    fn a_failed_batch_is_narrowed_to_single_events_until_its_end() {
        let mut recovery = Recovery::default();
        assert_eq!(recovery.batch_size(at(0)), BATCH_SIZE);
        recovery.narrow(at(10));
        assert_eq!(recovery.batch_size(at(0)), 1);
        recovery.passed(at(9));
        assert_eq!(recovery.batch_size(at(9)), 1);
        recovery.passed(at(10));
        assert_eq!(recovery.batch_size(at(10)), BATCH_SIZE);
    }

    #[test]
    fn an_event_counts_its_failures_until_the_log_passes_it() {
        let mut recovery = Recovery::default();
        assert_eq!(recovery.failed(at(3)), 1);
        assert_eq!(recovery.failed(at(3)), 2);
        assert_eq!(Recovery::pause(2), Duration::from_millis(200));
        recovery.passed(at(3));
        assert_eq!(recovery.failed(at(3)), 1);
        assert_eq!(recovery.failed(at(4)), 1, "another event starts over");
    }
}
