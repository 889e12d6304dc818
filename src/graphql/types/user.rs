//! `User`, its flat `OrganizationRef`, and the `UserFilter` input of `users`.

use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::enums::{MemberRole, UserStatus};
use crate::auth::AccessError;
use crate::graphql::guard::caller;
use crate::query::UserProfile;

#[derive(InputObject, Debug, Clone, Default)]
pub(crate) struct UserFilter {
    pub status: Option<UserStatus>,
    pub role: Option<MemberRole>,
    /// Case-insensitive substring of the name (and of the email, for admins).
    pub search: Option<String>,
}

#[derive(SimpleObject)]
pub(super) struct OrganizationRef {
    pub id: ID,
    pub slug: String,
    pub name: String,
}

pub(crate) struct User(pub Arc<UserProfile>);

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Admins only: others get null and a FORBIDDEN error at this path.
    async fn email(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        if caller(ctx).is_admin() {
            Ok(Some(&self.0.email))
        } else {
            Err(AccessError::EmailHidden.extend())
        }
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn role(&self) -> MemberRole {
        self.0.role.into()
    }
    async fn status(&self) -> UserStatus {
        self.0.status.into()
    }
    /// The user's organization, stored flat on the user's read row.
    async fn organization(&self) -> OrganizationRef {
        let organization = &self.0.organization;
        OrganizationRef {
            id: ID(organization.id.to_string()),
            slug: organization.slug.clone(),
            name: organization.name.clone(),
        }
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}
