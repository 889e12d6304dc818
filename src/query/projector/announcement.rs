//! The notice the leading projector sends with each batch, so that every instance keeps its
//! cache, its applied position and its subscribers in step with the read tables.
//!
//! On Postgres it is a `NOTIFY` issued inside the batch's transaction: delivered only if the
//! batch commits, after it commits, and in commit order. It names the position the batch
//! moved the checkpoint from and to, and the cache entries the batch made stale. Postgres
//! caps a payload at 8,000 bytes: a batch that staled more entries than fit announces its
//! positions only, and the instances read what changed from the log. A notice an instance
//! missed (its connection was down) shows as a `from` it has not reached, and is caught up
//! from the log the same way.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event_log::{Position, RecordedEvent};
use crate::query::cache::CacheUpdate;

/// The `LISTEN`/`NOTIFY` channel, on the read database.
pub(crate) const CHANNEL: &str = "rosterql_read_model";
/// Postgres refuses payloads of 8,000 bytes or more.
const MAX_PAYLOAD: usize = 7_999;

/// Which cache entries a batch made stale.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct StaleEntries {
    pub users: Vec<Uuid>,
    pub members_of: Vec<Uuid>,
}

impl StaleEntries {
    /// The entries `events` make stale, each named once.
    pub(crate) fn of(events: &[RecordedEvent]) -> Self {
        let mut stale = Self::default();
        for update in events.iter().filter_map(CacheUpdate::invalidated_by) {
            match update {
                CacheUpdate::Remove(id) => stale.users.push(id),
                CacheUpdate::RemoveMembersOf(id) => stale.members_of.push(id),
                // Events alone never name a new row.
                CacheUpdate::Put(_) => {}
            }
        }
        for ids in [&mut stale.users, &mut stale.members_of] {
            ids.sort_unstable();
            ids.dedup();
        }
        stale
    }

    /// The cache updates that drop these entries.
    pub(crate) fn into_updates(self) -> Vec<CacheUpdate> {
        let users = self.users.into_iter().map(CacheUpdate::Remove);
        let members = self
            .members_of
            .into_iter()
            .map(CacheUpdate::RemoveMembersOf);
        users.chain(members).collect()
    }
}

/// What one committed batch did to the read side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Announcement {
    pub from: Position,
    pub to: Position,
    /// None when the entries did not fit in the payload, or the read tables were rebuilt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale: Option<StaleEntries>,
    /// The read tables were rebuilt: every cache entry and every listener's view is stale.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rebuilt: bool,
}

impl Announcement {
    /// The payload: the whole announcement when it fits, else its positions only.
    pub(crate) fn payload(&self) -> String {
        let full = serde_json::json!(self).to_string();
        if full.len() <= MAX_PAYLOAD {
            return full;
        }
        let positions_only = Self {
            stale: None,
            ..self.clone()
        };
        serde_json::json!(positions_only).to_string()
    }

    pub(crate) fn parse(payload: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(payload)
    }

    /// Sends it on `txn`, to be delivered when (and if) that transaction commits. Only
    /// Postgres has other instances to tell.
    pub(crate) async fn send(&self, txn: &impl ConnectionTrait) -> Result<(), DbErr> {
        if txn.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let notify = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), self.payload().into()],
        );
        txn.execute_raw(notify).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn announcement(users: usize) -> Announcement {
        Announcement {
            from: Position { tx: 700, seq: 1 },
            to: Position { tx: 712, seq: 9 },
            stale: Some(StaleEntries {
                users: (0..users).map(|_| Uuid::now_v7()).collect(),
                members_of: vec![Uuid::now_v7()],
            }),
            rebuilt: false,
        }
    }

    fn recorded(aggregate_id: Uuid, event: crate::domain::DomainEvent) -> RecordedEvent {
        RecordedEvent {
            position: Position { tx: 1, seq: 1 },
            aggregate_id,
            aggregate_version: 2,
            event,
            recorded_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn a_batch_stales_each_user_once_and_a_renamed_organizations_members() {
        use crate::domain::{DomainEvent, MemberEvent, Name, OrganizationEvent, UserEvent};
        let name = || Name::parse("name", "Ada").expect("a name");
        let (user, organization) = (Uuid::now_v7(), Uuid::now_v7());
        let renamed_user = || {
            DomainEvent::User(MemberEvent {
                organization_id: organization,
                event: UserEvent::UserRenamed { name: name() },
            })
        };
        let events = [
            recorded(user, renamed_user()),
            recorded(user, renamed_user()),
            recorded(
                organization,
                DomainEvent::Organization(OrganizationEvent::OrganizationRenamed { name: name() }),
            ),
        ];
        assert_eq!(
            StaleEntries::of(&events),
            StaleEntries {
                users: vec![user],
                members_of: vec![organization],
            }
        );
    }

    #[test]
    fn an_announcement_round_trips_through_its_payload() {
        let sent = announcement(3);
        assert_eq!(Announcement::parse(&sent.payload()).ok(), Some(sent));
    }

    #[test]
    fn a_batch_too_large_to_name_is_announced_by_its_positions() {
        let sent = announcement(500);
        let payload = sent.payload();
        assert!(payload.len() <= MAX_PAYLOAD, "{} bytes", payload.len());
        let received = Announcement::parse(&payload).ok();
        assert_eq!(
            received,
            Some(Announcement {
                stale: None,
                ..sent
            })
        );
    }

    #[test]
    fn the_largest_batch_that_fits_keeps_its_entries() {
        // 36 characters and quotes and a comma per id: about 200 fit.
        let sent = announcement(180);
        assert!(sent.payload().len() <= MAX_PAYLOAD);
        assert_eq!(Announcement::parse(&sent.payload()).ok(), Some(sent));
    }
}
