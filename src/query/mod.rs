//! The read side: everything queries and subscriptions are answered from.
//!
//! Flat read tables (private [`store`]), the moka cache in front of user profiles, the
//! projector that keeps both current from the event log, and the change streams behind
//! subscriptions. Nothing here can name a write-side table: `crate::command::store` is
//! private to the command side.

mod cache;
mod changes;
mod error;
mod organizations;
mod pagination;
mod parked_events;
mod progress;
pub mod projector;
mod read_model;
mod users;

pub(in crate::query) mod store;

pub use cache::UserCache;
pub use changes::{Change, ChangeFeed, ChangeFilter, ChangeStream, Subject};
pub use error::QueryError;
pub use organizations::OrganizationDirectory;
pub use pagination::{Page, PageRequest, rows_at_most};
pub use parked_events::{ParkedEvent, ParkedEvents};
pub use progress::{ProjectorHealth, ReadModelStatus, ReadProgress};
pub use read_model::{OrganizationProfile, OrganizationRef, UserProfile};
pub use users::{UserDirectory, UserOrder, UserQuery};
