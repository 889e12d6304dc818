//! `UserChange` and `OrganizationChange`: what subscriptions deliver.

use async_graphql::{ID, SimpleObject};

use super::enums::ChangeKind;
use super::organization::Organization;
use super::user::User;

#[derive(SimpleObject)]
pub(crate) struct UserChange {
    pub kind: ChangeKind,
    pub user_id: ID,
    pub organization_id: ID,
    /// The domain event's name, e.g. "UserRenamed".
    pub event: String,
    pub position: String,
    /// The read-side state after this change; null for DELETED.
    pub user: Option<User>,
}

#[derive(SimpleObject)]
pub(crate) struct OrganizationChange {
    pub kind: ChangeKind,
    pub organization_id: ID,
    pub event: String,
    pub position: String,
    pub organization: Option<Organization>,
}
