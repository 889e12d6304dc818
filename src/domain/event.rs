//! Domain events: the facts the command side records and the read side projects.
//!
//! Each event is stored in the event log as its name plus a JSON payload; the aggregate id,
//! version and time travel beside it in the log row, not in the payload. Names come from the
//! enums themselves (the serde tag and [`strum::IntoStaticStr`] agree on the variant name),
//! and every question about an event is an exhaustive `match`: a new event does not compile
//! until each place that must decide about it does.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Email, MemberRole, Name, Slug};

/// What an event does to its aggregate's existence (the `kind` of a change).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Created,
    Updated,
    Deleted,
}

/// The event that creates an organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationCreated {
    pub slug: Slug,
    pub name: Name,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(tag = "event")]
pub enum OrganizationEvent {
    OrganizationCreated(OrganizationCreated),
    OrganizationRenamed { name: Name },
}

impl OrganizationEvent {
    pub fn kind(&self) -> ChangeKind {
        match self {
            Self::OrganizationCreated(_) => ChangeKind::Created,
            Self::OrganizationRenamed { .. } => ChangeKind::Updated,
        }
    }
}

/// The event that creates a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserCreated {
    pub email: Email,
    pub name: Name,
    pub role: MemberRole,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(tag = "event")]
pub enum UserEvent {
    UserCreated(UserCreated),
    UserRenamed { name: Name },
    UserEmailChanged { email: Email },
    UserRoleChanged { role: MemberRole },
    UserSuspended { reason: Option<String> },
    UserReactivated,
    UserDeleted,
}

impl UserEvent {
    pub fn kind(&self) -> ChangeKind {
        match self {
            Self::UserCreated(_) => ChangeKind::Created,
            Self::UserRenamed { .. }
            | Self::UserEmailChanged { .. }
            | Self::UserRoleChanged { .. }
            | Self::UserSuspended { .. }
            | Self::UserReactivated => ChangeKind::Updated,
            Self::UserDeleted => ChangeKind::Deleted,
        }
    }
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

/// A stored event that does not decode into a [`DomainEvent`].
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown aggregate type {0:?}")]
    UnknownAggregateType(String),
    #[error("undecodable {aggregate_type} event: {source}")]
    Payload {
        aggregate_type: &'static str,
        #[source]
        source: serde_json::Error,
    },
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
            Self::Organization(event) => event.into(),
            Self::User(member) => (&member.event).into(),
        }
    }

    pub fn kind(&self) -> ChangeKind {
        match self {
            Self::Organization(event) => event.kind(),
            Self::User(member) => member.event.kind(),
        }
    }

    pub fn to_json(&self) -> Result<serde_json::Value, serde_json::Error> {
        match self {
            Self::Organization(event) => serde_json::to_value(event),
            Self::User(event) => serde_json::to_value(event),
        }
    }

    /// Decodes a payload written by [`DomainEvent::to_json`] for the given aggregate type.
    pub fn from_json(aggregate_type: &str, payload: &str) -> Result<Self, DecodeError> {
        let payload_error = |aggregate_type| {
            move |source| DecodeError::Payload {
                aggregate_type,
                source,
            }
        };
        match aggregate_type {
            Self::ORGANIZATION => serde_json::from_str(payload)
                .map(Self::Organization)
                .map_err(payload_error(Self::ORGANIZATION)),
            Self::USER => serde_json::from_str(payload)
                .map(Self::User)
                .map_err(payload_error(Self::USER)),
            other => Err(DecodeError::UnknownAggregateType(other.to_owned())),
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

    fn name(raw: &str) -> Name {
        Name::parse("name", raw).unwrap()
    }

    #[test]
    fn events_round_trip_through_json() {
        let events = [
            DomainEvent::Organization(OrganizationEvent::OrganizationCreated(
                OrganizationCreated {
                    slug: Slug::parse("acme").unwrap(),
                    name: name("Acme"),
                },
            )),
            DomainEvent::Organization(OrganizationEvent::OrganizationRenamed {
                name: name("Acme"),
            }),
            member(UserEvent::UserCreated(UserCreated {
                email: Email::parse("ada@example.com").unwrap(),
                name: name("Ada"),
                role: MemberRole::Admin,
            })),
            member(UserEvent::UserSuspended { reason: None }),
            member(UserEvent::UserDeleted),
        ];
        for event in events {
            let json = event.to_json().unwrap().to_string();
            let decoded = DomainEvent::from_json(event.aggregate_type(), &json).unwrap();
            assert_eq!(decoded, event);
        }
    }

    #[test]
    fn the_payload_is_tagged_with_the_event_name() {
        let event = member(UserEvent::UserCreated(UserCreated {
            email: Email::parse("ada@example.com").unwrap(),
            name: name("Ada"),
            role: MemberRole::Guest,
        }));
        let json = event.to_json().unwrap();
        assert_eq!(event.name(), "UserCreated");
        assert_eq!(json["event"], "UserCreated");
        assert_eq!(json["email"], "ada@example.com");
        assert_eq!(json["role"], "GUEST");
        assert!(json["organization_id"].is_string());
    }

    #[test]
    fn kinds_follow_the_aggregate_lifecycle() {
        assert_eq!(
            member(UserEvent::UserRenamed { name: name("Ada") }).kind(),
            ChangeKind::Updated
        );
        assert_eq!(member(UserEvent::UserDeleted).kind(), ChangeKind::Deleted);
        let created = OrganizationEvent::OrganizationCreated(OrganizationCreated {
            slug: Slug::parse("acme").unwrap(),
            name: name("Acme"),
        });
        assert_eq!(created.kind(), ChangeKind::Created);
    }

    #[test]
    fn undecodable_payloads_are_typed_errors() {
        assert!(matches!(
            DomainEvent::from_json("team", "{}"),
            Err(DecodeError::UnknownAggregateType(kind)) if kind == "team"
        ));
        let invalid_value = r#"{"event":"OrganizationRenamed","name":"   "}"#;
        assert!(matches!(
            DomainEvent::from_json(DomainEvent::ORGANIZATION, invalid_value),
            Err(DecodeError::Payload {
                aggregate_type: "organization",
                ..
            })
        ));
        assert!(matches!(
            DomainEvent::from_json(DomainEvent::USER, r#"{"event":"UserPromoted"}"#),
            Err(DecodeError::Payload { .. })
        ));
    }
}
