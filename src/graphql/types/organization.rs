//! `Organization`: the read side's organization profile.

use std::sync::Arc;

use async_graphql::{ID, Object};
use chrono::{DateTime, Utc};

use crate::query::OrganizationProfile;

pub(crate) struct Organization(pub Arc<OrganizationProfile>);

#[Object]
impl Organization {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Users not deleted.
    async fn member_count(&self) -> i32 {
        self.0.member_count
    }
    /// Users with status ACTIVE.
    async fn active_member_count(&self) -> i32 {
        self.0.active_member_count
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
