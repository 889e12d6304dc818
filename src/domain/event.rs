//! Domain events: the facts the command side records and the read side projects.
//!
//! Each event is stored in the event log as its name plus a JSON payload; the aggregate id,
//! version and time travel beside it in the log row, not in the payload.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::MemberRole;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event")]
pub enum OrganizationEvent {
    OrganizationCreated { slug: String, name: String },
    OrganizationRenamed { name: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event")]
pub enum UserEvent {
    UserCreated {
        email: String,
        name: String,
        role: MemberRole,
    },
    UserRenamed {
        name: String,
    },
    UserEmailChanged {
        email: String,
    },
    UserRoleChanged {
        role: MemberRole,
    },
    UserSuspended {
        reason: Option<String>,
    },
    UserReactivated,
    UserDeleted,
}

/// A user event with the organization the user belongs to, so that consumers can route it
/// (subscriptions filter by organization) without looking the user up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberEvent {
    pub organization_id: Uuid,
    #[serde(flatten)]
    pub event: UserEvent,
}

/// Any event of the domain, as the event log carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainEvent {
    Organization(OrganizationEvent),
    User(MemberEvent),
}

impl DomainEvent {
    pub const ORGANIZATION: &'static str = "organization";
    pub const USER: &'static str = "user";

    /// The aggregate type this event belongs to, as stored in the log.
    pub fn aggregate_type(&self) -> &'static str {
        match self {
            Self::Organization(_) => Self::ORGANIZATION,
            Self::User(_) => Self::USER,
        }
    }

    /// The event's name, e.g. `UserRenamed`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Organization(OrganizationEvent::OrganizationCreated { .. }) => {
                "OrganizationCreated"
            }
            Self::Organization(OrganizationEvent::OrganizationRenamed { .. }) => {
                "OrganizationRenamed"
            }
            Self::User(MemberEvent { event, .. }) => match event {
                UserEvent::UserCreated { .. } => "UserCreated",
                UserEvent::UserRenamed { .. } => "UserRenamed",
                UserEvent::UserEmailChanged { .. } => "UserEmailChanged",
                UserEvent::UserRoleChanged { .. } => "UserRoleChanged",
                UserEvent::UserSuspended { .. } => "UserSuspended",
                UserEvent::UserReactivated => "UserReactivated",
                UserEvent::UserDeleted => "UserDeleted",
            },
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        let encoded = match self {
            Self::Organization(event) => serde_json::to_value(event),
            Self::User(event) => serde_json::to_value(event),
        };
        encoded.expect("domain events are plain data and always serialize")
    }

    /// Decodes a payload written by [`DomainEvent::to_json`] for the given aggregate type.
    pub fn from_json(aggregate_type: &str, payload: serde_json::Value) -> Result<Self, String> {
        match aggregate_type {
            Self::ORGANIZATION => serde_json::from_value(payload)
                .map(Self::Organization)
                .map_err(|error| error.to_string()),
            Self::USER => serde_json::from_value(payload)
                .map(Self::User)
                .map_err(|error| error.to_string()),
            other => Err(format!("unknown aggregate type {other:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(event: UserEvent) -> DomainEvent {
        DomainEvent::User(MemberEvent {
            organization_id: Uuid::now_v7(),
            event,
        })
    }

    #[test]
    fn events_round_trip_through_json() {
        let events = [
            DomainEvent::Organization(OrganizationEvent::OrganizationRenamed {
                name: "Acme".into(),
            }),
            member(UserEvent::UserCreated {
                email: "ada@example.com".into(),
                name: "Ada".into(),
                role: MemberRole::Admin,
            }),
            member(UserEvent::UserSuspended { reason: None }),
            member(UserEvent::UserDeleted),
        ];
        for event in events {
            let decoded = DomainEvent::from_json(event.aggregate_type(), event.to_json());
            assert_eq!(decoded, Ok(event));
        }
    }

    #[test]
    fn the_payload_names_the_event() {
        let event = member(UserEvent::UserReactivated);
        let json = event.to_json();
        assert_eq!(json["event"], event.name());
        assert!(json["organization_id"].is_string());
    }
}
