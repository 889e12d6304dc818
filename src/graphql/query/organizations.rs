//! `organization` and `organizations`.

use async_graphql::{Context, ID, Object, Result, ResultExt};

use crate::graphql::Services;
use crate::graphql::error::ClientError;
use crate::graphql::ids::parse_id;
use crate::graphql::limits::connection_field_cost;
use crate::graphql::types::{Organization, OrganizationConnection, selects_total};
use crate::query::PageRequest;

#[derive(Default)]
pub(super) struct OrganizationQueries;

#[Object]
impl OrganizationQueries {
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
            _ => return Err(ClientError::bad_input("id", "or slug: give exactly one").into()),
        };
        Ok(found.map(|profile| Organization(profile.into())))
    }

    #[graphql(
        complexity = "connection_field_cost(__ctx, __variables_definition, __field, child_complexity)"
    )]
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
            with_total: selects_total(ctx),
        };
        let organizations = &ctx.data::<Services>()?.organizations;
        Ok(organizations.list(&page).await.extend()?.into())
    }
}
