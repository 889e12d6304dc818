//! The schema's object, enum and input types, over the read side's values, one file per
//! family.

mod changes;
mod connection;
mod enums;
mod organization;
mod parked_event;
mod payloads;
mod read_model;
mod user;

pub(super) use changes::{OrganizationChange, UserChange};
pub(super) use connection::{
    OrganizationConnection, ParkedEventConnection, UserConnection, selects_total,
};
pub(super) use enums::{MemberRole, UserOrder};
pub(super) use organization::Organization;
pub(super) use parked_event::RetryParkedEventsPayload;
pub(super) use payloads::{DeleteUserPayload, OrganizationPayload, UserPayload};
pub(super) use read_model::ReadModelStatus;
pub(super) use user::{User, UserFilter};
