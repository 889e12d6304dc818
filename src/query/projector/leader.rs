//! Leading: applying the log batch by batch while this instance holds the lead, woken by
//! commands on any instance, and checking first that the checkpoint counts in this log. An
//! event that cannot be applied is retried, then parked (see [`recovery`](super::recovery)).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use chrono::Utc;

use super::announcement::{Announcement, CHANNEL as ANNOUNCEMENTS};
use super::batch::BatchError;
use super::held_back::HeldBack;
use super::notices::{self, Notices};
use super::parked;
use super::recovery::Recovery;
use super::{
    BLOCKED_RETRY, ERROR_BACKOFF, Lease, Projector, REFUSED_RETRY, Step, StepError, Stop,
    checkpoint,
};
use crate::event_log::{APPENDED_CHANNEL, Position};

impl Projector {
    /// Applies the log while `lease` holds; says why it stopped. Shutdown and a lost lead
    /// are seen between batches, never in the middle of one.
    pub(super) async fn lead(
        &self,
        lease: &mut Lease,
        mut shutdown: Pin<&mut impl Future<Output = ()>>,
    ) -> Stop {
        let lost = lease.lost(self.leader_retry);
        let mut lost = std::pin::pin!(lost);
        // Commands on every instance wake the leader; polling is the safety net.
        let mut appended = Notices::listen(&self.command_url, APPENDED_CHANNEL);
        // A rebuild of the read tables (by `rosterql rebuild-projections`) is announced like
        // a batch: the leader drops its cache and its listeners catch up, as followers do.
        let mut announced = Notices::listen(&self.read_url, ANNOUNCEMENTS);
        let mut position = None;
        // Doubles while an old transaction keeps holding newer events back.
        let mut blocked_pause = BLOCKED_RETRY;
        let mut held_back = HeldBack::default();
        let mut recovery = Recovery::default();
        loop {
            // The step takes in everything committed before it starts: the wake-ups queued
            // so far are spent (a rebuild among them still counts), later ones wake it again.
            while appended.as_mut().and_then(Notices::try_next).is_some() {}
            while let Some(heard) = announced.as_mut().and_then(Notices::try_next) {
                if let Some(rebuilt) = rebuild_announced(heard) {
                    self.mirror.reset(rebuilt).await;
                    position = None;
                }
            }
            let step = self.step(&mut position, &mut recovery).await;
            let pause = match step {
                Ok(step) => {
                    if self.health.report(None) {
                        tracing::info!("the projector applies the log again");
                    }
                    match step {
                        Step::Applied => {
                            held_back.clear();
                            blocked_pause = BLOCKED_RETRY;
                            Duration::ZERO
                        }
                        Step::Idle { blocked: true } => {
                            held_back.note(&self.log).await;
                            let pause = blocked_pause;
                            blocked_pause = (blocked_pause * 2).min(self.poll_interval);
                            pause
                        }
                        Step::Idle { blocked: false } => {
                            held_back.clear();
                            self.poll_interval
                        }
                        Step::Retrying { pause } => pause,
                    }
                }
                Err(StepError::Refused(reason)) => {
                    tracing::error!("the projector refuses to run: {reason}");
                    self.health
                        .report(Some(format!("the projector refuses to run: {reason}")));
                    position = None;
                    REFUSED_RETRY
                }
                Err(error) => {
                    metrics::counter!("rosterql_projector_errors_total").increment(1);
                    let problem =
                        "the projector cannot apply the event log (it keeps retrying; see the log)";
                    if self.health.report(Some(problem.to_owned())) {
                        tracing::error!(%error, "projector batch failed; retrying");
                    } else {
                        tracing::debug!(%error, "projector batch failed again");
                    }
                    // Re-read the checkpoint: it may have moved under us, or a commit that
                    // reported failure may have landed.
                    position = None;
                    ERROR_BACKOFF
                }
            };
            // Shutdown first: a backlog must not keep a stopping server waiting.
            tokio::select! {
                biased;
                () = shutdown.as_mut() => return Stop::Shutdown,
                () = &mut lost => return Stop::LeadLost,
                () = tokio::time::sleep(pause) => {}
                () = self.wake.notified() => {}
                _ = next_notice(appended.as_mut()) => {}
                heard = next_notice(announced.as_mut()) => {
                    if let Some(rebuilt) = rebuild_announced(heard) {
                        self.mirror.reset(rebuilt).await;
                        position = None;
                    }
                }
            }
        }
    }

    async fn step(
        &self,
        position: &mut Option<Position>,
        recovery: &mut Recovery,
    ) -> Result<Step, StepError> {
        let from = match *position {
            Some(from) => from,
            None => {
                let from = self.verified_checkpoint().await?;
                let known = self.mirror.applied();
                if from > known {
                    // Committed batches this instance has not mirrored (it followed until
                    // now, or a commit reported failure but landed).
                    self.catch_up_to(from).await?;
                } else if from < known {
                    // The read side went back: it was rebuilt.
                    self.mirror.reset(from).await;
                }
                *position = Some(from);
                from
            }
        };
        let batch = self.log.read_after(from, recovery.batch_size(from)).await?;
        if batch.blocked {
            // An older transaction is still open: nothing after it may be applied yet.
            metrics::counter!("rosterql_projector_blocked_reads_total").increment(1);
        }
        // The events ahead of the first unreadable one go as a batch; an unreadable one
        // next in line is a failed event of its own.
        let first_unreadable = batch.unreadable.into_iter().next();
        let mut events = batch.events;
        if let Some(unreadable) = &first_unreadable {
            events.retain(|event| event.position < unreadable.position);
        }
        let Some(last) = events.last() else {
            if let Some(unreadable) = first_unreadable {
                let error = parked::decode_error(&unreadable);
                return self
                    .event_failed(from, Err(unreadable), error, recovery)
                    .await;
            }
            if !batch.blocked {
                metrics::gauge!("rosterql_projector_lag_seconds").set(0.0);
            }
            return Ok(Step::Idle {
                blocked: batch.blocked,
            });
        };
        let to = last.position;
        let age = (Utc::now() - last.recorded_at).num_milliseconds().max(0) as f64 / 1e3;
        match self.apply_batch(from, &events).await {
            Ok(()) => {}
            Err(BatchError::Event(error)) if events.len() > 1 => {
                tracing::debug!(%error, "a batch failed on an event's account; narrowing it down");
                recovery.narrow(to);
                return Ok(Step::Retrying {
                    pause: Duration::ZERO,
                });
            }
            Err(BatchError::Event(error)) => {
                let event = Ok(events.swap_remove(0));
                return self
                    .event_failed(from, event, error.to_string(), recovery)
                    .await;
            }
            Err(BatchError::Step(error)) => return Err(error),
        }
        recovery.passed(to);
        *position = Some(to);
        // How old the newest applied event was when it landed on the read side.
        metrics::gauge!("rosterql_projector_lag_seconds").set(age);
        Ok(Step::Applied)
    }

    /// The checkpoint, once it is known to count in this log: the log's identity has not
    /// changed and its positions have not gone back below it.
    async fn verified_checkpoint(&self) -> Result<Position, StepError> {
        let checkpoint = checkpoint::load(&self.read_db).await?;
        let identity = self.log.identity().await.unwrap_or_else(|error| {
            tracing::warn!(%error, "cannot read the event log's identity; not checking it");
            None
        });
        match (&checkpoint.log_identity, &identity) {
            (Some(recorded), Some(actual)) if recorded != actual => {
                return Err(StepError::Refused(format!(
                    "the event log is in another database cluster (system identifier {actual}) \
                     than the one the read side was built from ({recorded}), so its positions \
                     do not continue the checkpoint's; rebuild the read side with \
                     `rosterql rebuild-projections`"
                )));
            }
            (None, Some(actual)) => checkpoint::record_log_identity(&self.read_db, actual).await?,
            _ => {}
        }
        let head = self.log.head().await?;
        if head < checkpoint.position {
            return Err(StepError::Refused(format!(
                "the event log ends at {head}, before the read side's checkpoint {}: its \
                 positions went backwards (a restored or replicated command database?); \
                 rebuild the read side with `rosterql rebuild-projections`",
                checkpoint.position
            )));
        }
        Ok(checkpoint.position)
    }
}

/// The next notice, or never without a listener.
async fn next_notice(notices: Option<&mut Notices>) -> notices::Heard {
    match notices {
        Some(notices) => notices.next().await,
        None => std::future::pending().await,
    }
}

/// Where a rebuild of the read tables left the checkpoint, when `heard` announces one.
fn rebuild_announced(heard: notices::Heard) -> Option<Position> {
    let notices::Heard::Notice(payload) = heard else {
        return None;
    };
    let announcement = Announcement::parse(&payload).ok()?;
    announcement.rebuilt.then_some(announcement.to)
}
