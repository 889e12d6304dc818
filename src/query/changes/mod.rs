//! Change notifications for subscriptions.
//!
//! The projector publishes each change after its transaction has committed and after the
//! applied position moved past it, so a listener that gets a change and then queries sees
//! at least that state. [`ChangeStream`] adds replay: a listener that names a position it
//! already saw first gets every change after it (rebuilt from the event log, with the
//! current read-side state), then the live ones, with no gap and no duplicate; a listener
//! that falls behind the broadcast buffer, or misses a batch the projector could not
//! publish, is caught up the same way.

mod current;
mod feed;
mod stream;

pub use feed::ChangeFeed;
pub use stream::ChangeStream;

use std::sync::Arc;

use uuid::Uuid;

use super::{OrganizationProfile, UserProfile};
use crate::domain::{ChangeKind, DomainEvent, MemberEvent};
use crate::event_log::{Position, RecordedEvent};

/// What changed, with the read-side state after the change (None once deleted).
#[derive(Debug, Clone)]
pub enum Subject {
    User {
        user_id: Uuid,
        organization_id: Uuid,
        user: Option<Arc<UserProfile>>,
    },
    Organization {
        organization_id: Uuid,
        organization: Option<Arc<OrganizationProfile>>,
    },
}

#[derive(Debug, Clone)]
pub struct Change {
    pub kind: ChangeKind,
    /// The domain event's name.
    pub event: &'static str,
    pub position: Position,
    pub subject: Subject,
}

impl Change {
    /// The change an event describes, without state yet.
    pub fn describe(recorded: &RecordedEvent) -> Self {
        match &recorded.event {
            DomainEvent::Organization(_) => Self::of_organization(recorded, None),
            DomainEvent::User(member) => Self::of_user(recorded, member, None),
        }
    }

    /// An organization's change, with its state after it.
    pub fn of_organization(
        recorded: &RecordedEvent,
        organization: Option<Arc<OrganizationProfile>>,
    ) -> Self {
        Self::new(
            recorded,
            Subject::Organization {
                organization_id: recorded.aggregate_id,
                organization,
            },
        )
    }

    /// A user's change, with its state after it.
    pub fn of_user(
        recorded: &RecordedEvent,
        member: &MemberEvent,
        user: Option<Arc<UserProfile>>,
    ) -> Self {
        Self::new(
            recorded,
            Subject::User {
                user_id: recorded.aggregate_id,
                organization_id: member.organization_id,
                user,
            },
        )
    }

    fn new(recorded: &RecordedEvent, subject: Subject) -> Self {
        Self {
            kind: recorded.event.kind(),
            event: recorded.event.name(),
            position: recorded.position,
            subject,
        }
    }
}

/// Which changes a listener wants.
#[derive(Debug, Clone, Copy)]
pub enum ChangeFilter {
    Users {
        organization_id: Option<Uuid>,
        user_id: Option<Uuid>,
    },
    Organizations {
        id: Option<Uuid>,
    },
}

impl ChangeFilter {
    pub fn matches(&self, change: &Change) -> bool {
        let wanted = |filter: Option<Uuid>, id: Uuid| filter.is_none_or(|wanted| wanted == id);
        match (self, &change.subject) {
            (
                Self::Users {
                    organization_id,
                    user_id,
                },
                Subject::User {
                    user_id: id,
                    organization_id: organization,
                    ..
                },
            ) => wanted(*organization_id, *organization) && wanted(*user_id, *id),
            (
                Self::Organizations { id },
                Subject::Organization {
                    organization_id, ..
                },
            ) => wanted(*id, *organization_id),
            (Self::Users { .. }, Subject::Organization { .. })
            | (Self::Organizations { .. }, Subject::User { .. }) => false,
        }
    }
}
