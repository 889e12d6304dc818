//! `retryParkedEvents`: applies parked events again once their cause is fixed (admin). Not
//! a command: it changes nothing on the command side, only what the read side holds.

use async_graphql::{Context, ID, Object, Result, ResultExt};

use crate::graphql::Services;
use crate::graphql::guard::AdminOnly;
use crate::graphql::ids::parse_optional_id;
use crate::graphql::types::RetryParkedEventsPayload;

#[derive(Default)]
pub(super) struct ParkedEventMutations;

#[Object]
impl ParkedEventMutations {
    /// Re-applies the parked events of `aggregateId` (of every aggregate without it), in
    /// log order. An event that fails again stays parked, with the rest of its aggregate's.
    #[graphql(guard = "AdminOnly")]
    async fn retry_parked_events(
        &self,
        ctx: &Context<'_>,
        aggregate_id: Option<ID>,
    ) -> Result<RetryParkedEventsPayload> {
        let aggregate = parse_optional_id("aggregateId", aggregate_id.as_ref())?;
        let parked = &ctx.data::<Services>()?.parked;
        Ok(parked.retry(aggregate).await.extend()?.into())
    }
}
