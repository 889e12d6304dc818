//! The domain: aggregates, their events and validated value types.
//!
//! Pure rules, no I/O: nothing here knows about SeaORM or GraphQL. An aggregate method
//! decides (and may refuse with a [`DomainError`]) and returns the event it emits; applying
//! that event is the only way state changes.

mod aggregate;
mod error;
mod event;
mod organization;
mod user;
mod values;

pub use aggregate::Aggregate;
pub use error::DomainError;
pub use event::{
    ChangeKind, DecodeError, DomainEvent, MemberEvent, OrganizationCreated, OrganizationEvent,
    UserCreated, UserEvent,
};
pub use organization::Organization;
pub use user::{MemberRole, User, UserStatus};
pub use values::{Email, Name, Slug};
