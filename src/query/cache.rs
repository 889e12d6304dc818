//! The moka cache of user profiles in front of `user_profiles`.
//!
//! Readers fill it on a miss; after each batch the projector (on the leader) or the
//! batch's announcement (on every other instance) updates it. Two guards keep it honest:
//!
//! - A reader that loaded a row just before a batch landed must not put that stale row back
//!   after the batch's update: every update bumps a generation under a write lock, and a
//!   reader's fill only lands (under the read lock) if the generation it saw before its
//!   database read is still current.
//! - Every entry remembers the read-side position it was built at (for a fill, the position
//!   this instance had applied before the database read), and a request that must see at
//!   least some position (a consistency token) never gets an entry built before it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use moka::future::Cache;
use tokio::sync::RwLock;
use uuid::Uuid;

use super::UserProfile;
use crate::domain::{DomainEvent, OrganizationEvent};
use crate::event_log::{Position, RecordedEvent};

/// An entry lives at most this long, a bound on staleness should anything go wrong.
const TIME_TO_LIVE: Duration = Duration::from_secs(600);

/// What a batch changed, to be mirrored in the cache.
#[derive(Debug, Clone, PartialEq)]
pub enum CacheUpdate {
    /// The user's row now reads like this.
    Put(Arc<UserProfile>),
    /// The user's row changed or is gone.
    Remove(Uuid),
    /// Every member row of this organization changed.
    RemoveMembersOf(Uuid),
}

impl CacheUpdate {
    /// The entries an event makes stale, known from the event alone (an instance that did
    /// not apply it learns no new rows, only which entries to drop).
    pub fn invalidated_by(recorded: &RecordedEvent) -> Option<Self> {
        match &recorded.event {
            DomainEvent::User(_) => Some(Self::Remove(recorded.aggregate_id)),
            DomainEvent::Organization(OrganizationEvent::OrganizationRenamed { .. }) => {
                Some(Self::RemoveMembersOf(recorded.aggregate_id))
            }
            DomainEvent::Organization(OrganizationEvent::OrganizationCreated(_)) => None,
        }
    }
}

#[derive(Clone)]
struct Entry {
    profile: Arc<UserProfile>,
    built_at: Position,
}

pub struct UserCache {
    entries: Cache<Uuid, Entry>,
    generation: AtomicU64,
    updating: RwLock<()>,
}

impl UserCache {
    pub fn new(capacity: u64) -> Self {
        Self {
            entries: Cache::builder()
                .max_capacity(capacity)
                .time_to_live(TIME_TO_LIVE)
                .support_invalidation_closures()
                .build(),
            generation: AtomicU64::new(0),
            updating: RwLock::new(()),
        }
    }

    /// The cached profile, unless it was built before `at_least`.
    pub async fn get(&self, id: Uuid, at_least: Position) -> Option<Arc<UserProfile>> {
        let found = self
            .entries
            .get(&id)
            .await
            .filter(|entry| entry.built_at >= at_least);
        let outcome = if found.is_some() { "hit" } else { "miss" };
        metrics::counter!("rosterql_cache_requests_total", "outcome" => outcome).increment(1);
        found.map(|entry| entry.profile)
    }

    /// Take this before reading the database for a [`UserCache::fill`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Caches a row read from the database once the read side had applied `built_at`,
    /// unless the cache was updated since `generation` was taken (the row might predate
    /// that update).
    pub async fn fill(&self, profile: Arc<UserProfile>, generation: u64, built_at: Position) {
        let _reading = self.updating.read().await;
        if self.generation() == generation {
            let entry = Entry { profile, built_at };
            self.entries.insert(entry.profile.id, entry).await;
        }
    }

    /// Mirrors a batch that brought the read side to `at`.
    pub async fn apply(&self, updates: Vec<CacheUpdate>, at: Position) {
        let _writing = self.updating.write().await;
        for update in updates {
            match update {
                CacheUpdate::Put(profile) => {
                    let entry = Entry {
                        profile,
                        built_at: at,
                    };
                    self.entries.insert(entry.profile.id, entry).await
                }
                CacheUpdate::Remove(id) => self.entries.invalidate(&id).await,
                CacheUpdate::RemoveMembersOf(organization_id) => {
                    let members = self.entries.invalidate_entries_if(move |_, entry| {
                        entry.profile.organization.id == organization_id
                    });
                    if let Err(error) = members {
                        tracing::error!(%error, "cannot single out an organization's members; emptying the cache");
                        self.entries.invalidate_all();
                    }
                }
            }
        }
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Empties the cache (the read side changed in ways no update names).
    pub async fn clear(&self) {
        let _writing = self.updating.write().await;
        self.entries.invalidate_all();
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::domain::{MemberRole, UserStatus};
    use crate::query::OrganizationRef;

    const AT: Position = Position { tx: 0, seq: 7 };

    fn profile(id: Uuid, name: &str, version: i32) -> Arc<UserProfile> {
        Arc::new(UserProfile {
            id,
            organization: OrganizationRef {
                id: Uuid::nil(),
                slug: "acme".into(),
                name: "Acme".into(),
            },
            email: format!("{name}@example.com"),
            name: name.into(),
            role: MemberRole::Member,
            status: UserStatus::Active,
            version,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        })
    }

    #[tokio::test]
    async fn a_fill_read_before_an_update_is_dropped() {
        let cache = UserCache::new(100);
        let id = Uuid::now_v7();
        // A reader takes the generation and reads version 1 from the database …
        let generation = cache.generation();
        let stale = profile(id, "ada", 1);
        // … meanwhile the projector commits version 2 and drops the entry …
        cache.apply(vec![CacheUpdate::Remove(id)], AT).await;
        // … so the reader's fill must not put version 1 back.
        cache.fill(stale, generation, Position::ORIGIN).await;
        assert_eq!(cache.get(id, Position::ORIGIN).await, None);

        // The same race with a Put: the projector's row stays.
        let fresh = profile(id, "ada", 2);
        let generation = cache.generation();
        cache.apply(vec![CacheUpdate::Put(fresh.clone())], AT).await;
        cache
            .fill(profile(id, "ada", 1), generation, Position::ORIGIN)
            .await;
        assert_eq!(cache.get(id, Position::ORIGIN).await, Some(fresh));
    }

    #[tokio::test]
    async fn a_fill_read_after_an_update_lands() {
        let cache = UserCache::new(100);
        let id = Uuid::now_v7();
        cache.apply(vec![CacheUpdate::Remove(id)], AT).await;
        let generation = cache.generation();
        let read = profile(id, "ada", 2);
        cache.fill(read.clone(), generation, AT).await;
        assert_eq!(cache.get(id, Position::ORIGIN).await, Some(read));
    }

    #[tokio::test]
    async fn every_update_and_clear_moves_the_generation() {
        let cache = UserCache::new(100);
        let start = cache.generation();
        cache.apply(Vec::new(), AT).await;
        let after_apply = cache.generation();
        assert_ne!(after_apply, start);
        cache.clear().await;
        assert_ne!(cache.generation(), after_apply);

        // A fill taken before a clear is dropped too.
        let id = Uuid::now_v7();
        let generation = cache.generation();
        cache.clear().await;
        cache
            .fill(profile(id, "ada", 1), generation, Position::ORIGIN)
            .await;
        assert_eq!(cache.get(id, Position::ORIGIN).await, None);
    }

    #[tokio::test]
    async fn the_cache_holds_at_most_its_capacity() {
        const CAPACITY: u64 = 10;
        let cache = UserCache::new(CAPACITY);
        for index in 0..(CAPACITY * 5) {
            let generation = cache.generation();
            cache
                .fill(
                    profile(Uuid::now_v7(), &format!("user{index}"), 1),
                    generation,
                    Position::ORIGIN,
                )
                .await;
        }
        cache.entries.run_pending_tasks().await;
        let count = cache.entries.entry_count();
        assert!(
            count <= CAPACITY,
            "{count} entries in a cache of capacity {CAPACITY}"
        );
        assert!(count > 0, "the cache kept nothing");
    }

    #[tokio::test]
    async fn removing_an_organizations_members_keeps_the_others() {
        let cache = UserCache::new(100);
        let member = profile(Uuid::now_v7(), "ada", 1);
        let mut other = (*profile(Uuid::now_v7(), "grace", 1)).clone();
        other.organization.id = Uuid::now_v7();
        let other = Arc::new(other);
        cache
            .apply(
                vec![
                    CacheUpdate::Put(member.clone()),
                    CacheUpdate::Put(other.clone()),
                ],
                AT,
            )
            .await;
        cache
            .apply(vec![CacheUpdate::RemoveMembersOf(Uuid::nil())], AT)
            .await;
        cache.entries.run_pending_tasks().await;
        assert_eq!(cache.get(member.id, Position::ORIGIN).await, None);
        assert_eq!(cache.get(other.id, Position::ORIGIN).await, Some(other));
    }

    #[tokio::test]
    async fn an_entry_built_before_a_token_is_not_served_under_it() {
        let cache = UserCache::new(100);
        let id = Uuid::now_v7();
        let read = profile(id, "ada", 1);
        let generation = cache.generation();
        cache.fill(read.clone(), generation, AT).await;
        assert_eq!(cache.get(id, AT).await, Some(read.clone()));
        assert_eq!(cache.get(id, Position::ORIGIN).await, Some(read));
        let newer = Position {
            tx: AT.tx,
            seq: AT.seq + 1,
        };
        assert_eq!(cache.get(id, newer).await, None);

        // A batch's own rows are built at the batch's position.
        let fresh = profile(id, "ada", 2);
        cache
            .apply(vec![CacheUpdate::Put(fresh.clone())], newer)
            .await;
        assert_eq!(cache.get(id, newer).await, Some(fresh));
    }
}
