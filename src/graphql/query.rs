//! Query resolvers: every answer comes from the read side.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result, ResultExt};

use super::Services;
use super::error::bad_input;
use super::guard::{AdminOnly, caller};
use super::ids::{parse_id, parse_optional_id};
use super::types::{
    Organization, OrganizationConnection, ReadModelStatus, User, UserConnection, UserFilter,
    UserOrder,
};
use crate::query::{PageRequest, UserQuery};

pub struct Query;

#[Object]
impl Query {
    async fn user(&self, ctx: &Context<'_>, id: ID) -> Result<Option<User>> {
        let id = parse_id("id", &id)?;
        Ok(ctx
            .data::<Services>()?
            .users
            .by_id(id)
            .await
            .extend()?
            .map(User))
    }

    #[graphql(guard = "AdminOnly")]
    async fn user_by_email(&self, ctx: &Context<'_>, email: String) -> Result<Option<User>> {
        let found = ctx
            .data::<Services>()?
            .users
            .by_email(&email)
            .await
            .extend()?;
        Ok(found.map(|profile| User(Arc::new(profile))))
    }

    #[allow(clippy::too_many_arguments)]
    async fn users(
        &self,
        ctx: &Context<'_>,
        organization_id: Option<ID>,
        filter: Option<UserFilter>,
        #[graphql(default_with = "Some(UserOrder::NameAsc)")] order_by: Option<UserOrder>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<UserConnection> {
        let filter = filter.unwrap_or_default();
        let query = UserQuery {
            organization_id: parse_optional_id("organizationId", organization_id.as_ref())?,
            status: filter.status.map(Into::into),
            role: filter.role.map(Into::into),
            search: filter.search,
            search_email: caller(ctx).is_admin(),
            order: order_by.unwrap_or_default().into(),
        };
        let page = PageRequest {
            first,
            after,
            last,
            before,
        };
        Ok(ctx
            .data::<Services>()?
            .users
            .list(&query, &page)
            .await
            .extend()?
            .into())
    }

    /// Exactly one of `id` and `slug`.
    async fn organization(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        slug: Option<String>,
    ) -> Result<Option<Organization>> {
        let organizations = &ctx.data::<Services>()?.organizations;
        let found = match (id, slug) {
            (Some(id), None) => organizations.by_id(parse_id("id", &id)?).await.extend()?,
            (None, Some(slug)) => organizations.by_slug(&slug).await.extend()?,
            _ => return Err(bad_input("id", "or slug: give exactly one")),
        };
        Ok(found.map(|profile| Organization(Arc::new(profile))))
    }

    async fn organizations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<OrganizationConnection> {
        let page = PageRequest {
            first,
            after,
            last,
            before,
        };
        Ok(ctx
            .data::<Services>()?
            .organizations
            .list(&page)
            .await
            .extend()?
            .into())
    }

    /// How far the read side trails the command side.
    async fn read_model(&self, ctx: &Context<'_>) -> Result<ReadModelStatus> {
        Ok(ctx
            .data::<Services>()?
            .progress
            .status()
            .await
            .extend()?
            .into())
    }
}
