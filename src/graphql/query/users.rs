//! `user`, `userByEmail` and `users`.

use async_graphql::{Context, ID, Object, Result, ResultExt};

use crate::graphql::Services;
use crate::graphql::guard::{AdminOnly, caller, read_at_least};
use crate::graphql::ids::{parse_id, parse_optional_id};
use crate::graphql::limits::connection_field_cost;
use crate::graphql::types::{User, UserConnection, UserFilter, UserOrder, selects_total};
use crate::query::{PageRequest, UserQuery};

#[derive(Default)]
pub(super) struct UserQueries;

#[Object]
impl UserQueries {
    async fn user(&self, ctx: &Context<'_>, id: ID) -> Result<Option<User>> {
        let id = parse_id("id", &id)?;
        let found = ctx
            .data::<Services>()?
            .users
            .by_id(id, read_at_least(ctx))
            .await
            .extend()?;
        Ok(found.map(User))
    }

    #[graphql(guard = "AdminOnly")]
    async fn user_by_email(&self, ctx: &Context<'_>, email: String) -> Result<Option<User>> {
        let found = ctx
            .data::<Services>()?
            .users
            .by_email(&email)
            .await
            .extend()?;
        Ok(found.map(|profile| User(profile.into())))
    }

    #[allow(clippy::too_many_arguments)]
    #[graphql(
        complexity = "connection_field_cost(__ctx, __variables_definition, __field, child_complexity)"
    )]
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
            order: order_by.map(Into::into).unwrap_or_default(),
        };
        let page = PageRequest {
            first,
            after,
            last,
            before,
            with_total: selects_total(ctx),
        };
        let users = &ctx.data::<Services>()?.users;
        Ok(users.list(&query, &page).await.extend()?.into())
    }
}
