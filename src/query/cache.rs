//! The moka cache of user profiles in front of `user_profiles`.
//!
//! Readers fill it on a miss; the projector updates it after each commit. A reader that
//! loaded a row just before the projector committed must not put that stale row back after
//! the projector's update: every projector update bumps a generation under a write lock,
//! and a reader's fill only lands (under the read lock) if the generation it saw before its
//! database read is still current.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use moka::future::Cache;
use tokio::sync::RwLock;
use uuid::Uuid;

use super::UserProfile;

/// An entry lives at most this long, a bound on staleness should anything go wrong.
const TIME_TO_LIVE: Duration = Duration::from_secs(600);

/// What the projector changed, to be mirrored in the cache.
#[derive(Debug, Clone)]
pub enum CacheUpdate {
    /// The user's row now reads like this.
    Put(Arc<UserProfile>),
    /// The user is gone.
    Remove(Uuid),
    /// Every member row of this organization changed.
    RemoveMembersOf(Uuid),
}

pub struct UserCache {
    entries: Cache<Uuid, Arc<UserProfile>>,
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

    pub async fn get(&self, id: Uuid) -> Option<Arc<UserProfile>> {
        let found = self.entries.get(&id).await;
        let outcome = if found.is_some() { "hit" } else { "miss" };
        metrics::counter!("rosterql_cache_requests_total", "outcome" => outcome).increment(1);
        found
    }

    /// Take this before reading the database for a [`UserCache::fill`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Caches a row read from the database, unless the projector changed the cache since
    /// `generation` was taken (the row might predate that change).
    pub async fn fill(&self, profile: Arc<UserProfile>, generation: u64) {
        let _reading = self.updating.read().await;
        if self.generation() == generation {
            self.entries.insert(profile.id, profile).await;
        }
    }

    /// Mirrors what the projector just committed.
    pub async fn apply(&self, updates: Vec<CacheUpdate>) {
        let _writing = self.updating.write().await;
        for update in updates {
            match update {
                CacheUpdate::Put(profile) => self.entries.insert(profile.id, profile).await,
                CacheUpdate::Remove(id) => self.entries.invalidate(&id).await,
                CacheUpdate::RemoveMembersOf(organization_id) => {
                    let members = self.entries.invalidate_entries_if(move |_, profile| {
                        profile.organization.id == organization_id
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

    /// Empties the cache (after a rebuild of the read tables).
    pub async fn clear(&self) {
        let _writing = self.updating.write().await;
        self.entries.invalidate_all();
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}
