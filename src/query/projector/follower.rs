//! Following the leader: an instance whose projector does not lead learns of every batch
//! the leader commits and mirrors it — cache, applied position, subscribers — without
//! writing a row.
//!
//! Announcements arrive by `LISTEN` on the read database. One that continues from where
//! this instance stands and names its stale entries is mirrored as it is (the log is read
//! only when someone listens, for the changes to publish). Anything else — an announcement
//! by positions only, a `from` this instance has not reached (a notice was missed), a lost
//! and re-made connection, the poll that runs as a safety net — is caught up from the log
//! up to the checkpoint the leader committed: what changed is read, never assumed.

use std::time::Duration;

use sea_orm::DbErr;

use super::announcement::{Announcement, CHANNEL as ANNOUNCEMENTS, StaleEntries};
use super::notices::{Heard, Notices};
use super::{Lease, Projector, checkpoint};
use crate::event_log::{Position, RecordedEvent};
use crate::query::QueryError;

const CATCH_UP_BATCH: u64 = 500;

impl Projector {
    /// Mirrors the leader's batches, trying for the lead every `leader_retry`.
    pub(super) async fn follow_until_leading(&mut self) -> Lease {
        // Listen first, then catch up (on the first thing heard): nothing committed in
        // between goes unseen.
        let mut announcements = Notices::listen(&self.read_url, ANNOUNCEMENTS);
        let mut failing = false;
        let mut following = false;
        loop {
            match self.leadership.try_lead(self.leader_retry).await {
                Ok(Some(lease)) => return lease,
                Ok(None) => {
                    failing = false;
                    if !following {
                        tracing::info!(
                            instance = self.leadership.instance(),
                            "another instance leads the projector; this one follows its batches"
                        );
                        following = true;
                    }
                }
                Err(error) => {
                    if !failing {
                        tracing::warn!(%error, "cannot compete for the projector's lead; retrying");
                    }
                    failing = true;
                }
            }
            self.follow_for(announcements.as_mut(), self.leader_retry)
                .await;
        }
    }

    /// Mirrors the leader's batches for `period`, from announcements and, between them,
    /// from the checkpoint every poll interval.
    pub(super) async fn follow_for(&self, announcements: Option<&mut Notices>, period: Duration) {
        let until = tokio::time::sleep(period);
        let mut until = std::pin::pin!(until);
        let Some(announcements) = announcements else {
            until.await;
            return;
        };
        loop {
            tokio::select! {
                () = &mut until => return,
                heard = announcements.next() => {
                    let mirrored = match heard {
                        Heard::Notice(payload) => self.mirror_notice(&payload).await,
                        Heard::Gap => self.catch_up().await,
                    };
                    self.report_following(mirrored);
                }
                () = tokio::time::sleep(self.poll_interval) => {
                    let caught_up = self.catch_up().await;
                    self.report_following(caught_up);
                }
            }
        }
    }

    fn report_following(&self, outcome: Result<(), QueryError>) {
        let problem = outcome.as_ref().err().map(|_| {
            "this instance cannot follow the projector's batches (it keeps retrying; see the log)"
                .to_owned()
        });
        let news = self.health.report(problem);
        match outcome {
            Err(error) if news => {
                tracing::error!(?error, "cannot follow the leader's batches; retrying")
            }
            Err(error) => tracing::debug!(?error, "still cannot follow the leader's batches"),
            Ok(()) if news => tracing::info!("following the leader's batches again"),
            Ok(()) => {}
        }
    }

    async fn mirror_notice(&self, payload: &str) -> Result<(), QueryError> {
        match Announcement::parse(payload) {
            Ok(announcement) => self.mirror_announced(announcement).await,
            Err(error) => {
                tracing::warn!(%error, "an announcement this version cannot read; catching up from the log");
                self.catch_up().await
            }
        }
    }

    async fn mirror_announced(&self, announcement: Announcement) -> Result<(), QueryError> {
        let known = self.mirror.applied();
        if announcement.rebuilt {
            self.mirror.reset(announcement.to).await;
            return Ok(());
        }
        match announcement.stale {
            _ if announcement.to <= known => Ok(()),
            Some(stale) if announcement.from == known => {
                self.mirror_batch(announcement.to, stale, None).await
            }
            _ => self.catch_up_to(announcement.to).await,
        }
    }

    /// Mirrors everything up to the committed checkpoint.
    pub(super) async fn catch_up(&self) -> Result<(), QueryError> {
        let target = checkpoint::load(&self.read_db).await?.position;
        self.catch_up_to(target).await
    }

    pub(super) async fn catch_up_to(&self, target: Position) -> Result<(), QueryError> {
        loop {
            let known = self.mirror.applied();
            if known >= target {
                return Ok(());
            }
            let batch = self
                .log
                .read_after(known, CATCH_UP_BATCH)
                .await?
                .up_to(target);
            let Some(to) = batch.end() else {
                // Everything the leader applied is settled, so this cannot last: look again
                // at the next poll rather than spin.
                return Ok(());
            };
            let stale = StaleEntries::of(&batch.events);
            self.mirror_batch(to, stale, Some(batch.events)).await?;
        }
    }

    /// Mirrors one batch that ended at `to`; `events` are the batch's when already read.
    async fn mirror_batch(
        &self,
        to: Position,
        stale: StaleEntries,
        events: Option<Vec<RecordedEvent>>,
    ) -> Result<(), QueryError> {
        let from = self.mirror.applied();
        let mut changes = Vec::new();
        if self.changes.feed.has_listeners() {
            let events = match events {
                Some(events) => events,
                None => self.read_between(from, to).await?,
            };
            let events: Vec<_> = events.iter().collect();
            changes = self.changes.with_current_state(&events).await?;
        }
        self.mirror.landed(to, stale.into_updates(), changes).await;
        Ok(())
    }

    /// The events after `from` up to and including `to`.
    async fn read_between(
        &self,
        from: Position,
        to: Position,
    ) -> Result<Vec<RecordedEvent>, QueryError> {
        let mut events: Vec<RecordedEvent> = Vec::new();
        let mut after = from;
        while after < to {
            let batch = self.log.read_after(after, CATCH_UP_BATCH).await?.up_to(to);
            match batch.end() {
                Some(end) if end > after => after = end,
                // What the leader applied is settled and readable: never publish less.
                _ => {
                    return Err(DbErr::Custom(format!(
                        "the event log does not reach the announced position {to}"
                    ))
                    .into());
                }
            }
            events.extend(batch.events);
        }
        Ok(events)
    }
}
