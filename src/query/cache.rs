//! The moka cache of user profiles in front of `user_profiles`.
//!
//! Readers fill it on a miss; after each batch the projector (on the leader) or the
//! batch's announcement (on every other instance) updates it. Two guards keep it honest:
//!
//! - A reader that loaded a row just before a batch landed must not put that stale row back
//!   after the batch's update. Every batch is a new generation, applied under a write lock;
//!   the ids are spread over [`SLOTS`] slots, each remembering the last generation that
//!   changed one of its ids. A reader's fill only lands (under the read lock) if no batch
//!   since the generation it saw before its database read changed its id's slot, nor
//!   changed rows it cannot name (an organization's members, a clear). So a busy projector
//!   drops only the fills it raced, not every fill in flight; and the guard holds even when
//!   the cache declines to keep a batch's own entry.
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

/// How many slots the ids are spread over for the fill guard: a fill is dropped when a
/// batch during its read changed any id of its slot.
const SLOTS: usize = 4096;

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
    /// The batches applied so far.
    generation: AtomicU64,
    /// Per slot, the generation that last changed one of its ids.
    changed: Box<[AtomicU64]>,
    /// The generation that last changed rows no update names one by one.
    changed_unnamed: AtomicU64,
    updating: RwLock<()>,
}

fn slot(id: Uuid) -> usize {
    // The low bits of a v7 id are random.
    (id.as_u128() % SLOTS as u128) as usize
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
            changed: (0..SLOTS).map(|_| AtomicU64::new(0)).collect(),
            changed_unnamed: AtomicU64::new(0),
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
    /// unless a batch since `generation` was taken may have changed it (the row might
    /// predate that change).
    pub async fn fill(&self, profile: Arc<UserProfile>, generation: u64, built_at: Position) {
        let _reading = self.updating.read().await;
        let changed_since = self.changed[slot(profile.id)].load(Ordering::Acquire) > generation
            || self.changed_unnamed.load(Ordering::Acquire) > generation;
        if !changed_since {
            let entry = Entry { profile, built_at };
            self.entries.insert(entry.profile.id, entry).await;
        }
    }

    /// Mirrors a batch that brought the read side to `at`.
    pub async fn apply(&self, updates: Vec<CacheUpdate>, at: Position) {
        let _writing = self.updating.write().await;
        let generation = self.generation() + 1;
        for update in updates {
            match update {
                CacheUpdate::Put(profile) => {
                    self.changed[slot(profile.id)].store(generation, Ordering::Release);
                    let entry = Entry {
                        profile,
                        built_at: at,
                    };
                    self.entries.insert(entry.profile.id, entry).await
                }
                CacheUpdate::Remove(id) => {
                    self.changed[slot(id)].store(generation, Ordering::Release);
                    self.entries.invalidate(&id).await
                }
                CacheUpdate::RemoveMembersOf(organization_id) => {
                    self.changed_unnamed.store(generation, Ordering::Release);
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
        self.generation.store(generation, Ordering::Release);
    }

    /// Empties the cache (the read side changed in ways no update names).
    pub async fn clear(&self) {
        let _writing = self.updating.write().await;
        let generation = self.generation() + 1;
        self.changed_unnamed.store(generation, Ordering::Release);
        self.entries.invalidate_all();
        self.generation.store(generation, Ordering::Release);
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
    async fn a_fill_of_a_row_no_update_touched_lands() {
        let cache = UserCache::new(100);
        let read = profile(Uuid::now_v7(), "ada", 1);
        let mut changed = Uuid::from_u128(read.id.as_u128() + 1);
        let generation = cache.generation();
        // A batch lands during the read, changing another user (in another slot) …
        cache.apply(vec![CacheUpdate::Remove(changed)], AT).await;
        // … so this fill is as fresh as it was: it lands.
        cache.fill(read.clone(), generation, AT).await;
        assert_eq!(
            cache.get(read.id, Position::ORIGIN).await,
            Some(read.clone())
        );

        // A user in the fill's own slot, changed during the read, drops it (the guard is
        // by slot: it may drop a fill it need not, never keep one it must not).
        changed = Uuid::from_u128(read.id.as_u128() + SLOTS as u128);
        let other = profile(
            Uuid::from_u128(read.id.as_u128() + 2 * SLOTS as u128),
            "bob",
            1,
        );
        let generation = cache.generation();
        cache.apply(vec![CacheUpdate::Remove(changed)], AT).await;
        cache.fill(other.clone(), generation, AT).await;
        assert_eq!(cache.get(other.id, Position::ORIGIN).await, None);

        // Renaming an organization changes rows no update names: every fill in flight drops.
        let generation = cache.generation();
        cache
            .apply(vec![CacheUpdate::RemoveMembersOf(Uuid::now_v7())], AT)
            .await;
        cache.fill(other.clone(), generation, AT).await;
        assert_eq!(cache.get(other.id, Position::ORIGIN).await, None);
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
