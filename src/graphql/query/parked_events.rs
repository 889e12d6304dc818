//! `parkedEvents`: the events the projector could not apply (admin).

use async_graphql::{Context, Object, Result, ResultExt};

use crate::graphql::Services;
use crate::graphql::guard::AdminOnly;
use crate::graphql::limits::connection_field_cost;
use crate::graphql::types::{ParkedEventConnection, selects_total};
use crate::query::PageRequest;

#[derive(Default)]
pub(super) struct ParkedEventQueries;

#[Object]
impl ParkedEventQueries {
    /// The events the projector could not apply and set aside, in log order.
    #[graphql(
        guard = "AdminOnly",
        complexity = "connection_field_cost(__ctx, __variables_definition, __field, child_complexity)"
    )]
    async fn parked_events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ParkedEventConnection> {
        let page = PageRequest {
            first,
            after,
            with_total: selects_total(ctx),
            ..PageRequest::default()
        };
        let parked = &ctx.data::<Services>()?.parked;
        Ok(parked.page(&page).await.extend()?.into())
    }
}
