//! The write tables, private to the command side.
//!
//! Each aggregate's table is loaded into its domain type and saved back with a version
//! guard: `UPDATE … WHERE id = ? AND version = ?` touches no row when another command got
//! there first, which the caller reports as a version conflict.

pub mod organizations;
pub mod users;

use std::future::Future;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use crate::domain::DomainEvent;

/// An aggregate the unit of work can load, decide on and save.
pub trait StoredAggregate: Sized + Send + Sync {
    type Event: Send + Sync;

    /// `user` or `organization`, for errors.
    const KIND: &'static str;

    fn id(&self) -> Uuid;

    fn version(&self) -> i32;

    fn apply(&mut self, event: &Self::Event);

    /// The event as the log carries it.
    fn to_domain_event(&self, event: Self::Event) -> DomainEvent;

    /// The live aggregate with this id (a deleted user is gone).
    fn load(
        db: &impl ConnectionTrait,
        id: Uuid,
    ) -> impl Future<Output = Result<Option<Self>, DbErr>> + Send;

    fn insert(
        &self,
        db: &impl ConnectionTrait,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), DbErr>> + Send;

    /// Writes this state if the stored version is still `expected`; false when it was not.
    fn save(
        &self,
        db: &impl ConnectionTrait,
        expected: i32,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, DbErr>> + Send;
}
