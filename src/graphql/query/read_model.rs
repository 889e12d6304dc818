//! `readModel`: how far the read side trails the command side.

use async_graphql::{Context, Object, Result, ResultExt};

use crate::graphql::Services;
use crate::graphql::types::ReadModelStatus;

#[derive(Default)]
pub(super) struct ReadModelQuery;

#[Object]
impl ReadModelQuery {
    /// How far the read side trails the command side.
    async fn read_model(&self, ctx: &Context<'_>) -> Result<ReadModelStatus> {
        let progress = &ctx.data::<Services>()?.progress;
        Ok(progress.status().await.extend()?.into())
    }
}
