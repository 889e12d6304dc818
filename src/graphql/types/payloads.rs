//! Mutation payloads: what the command side accepted, and the read side's state once the
//! projector has applied it.

use std::sync::Arc;

use async_graphql::{ComplexObject, Context, ID, Result, ResultExt, SimpleObject};

use super::organization::Organization;
use super::user::User;
use crate::command::CommandOutcome;
use crate::graphql::Services;

/// What every mutation payload reports: the aggregate's new version and the token that
/// reads can wait for.
#[derive(SimpleObject)]
pub(crate) struct Accepted {
    pub version: i32,
    pub consistency_token: String,
}

/// The accepted aggregate's id and what every payload reports of it.
fn accepted(outcome: &CommandOutcome) -> (ID, Accepted) {
    let accepted = Accepted {
        version: outcome.version,
        consistency_token: outcome.position.to_string(),
    };
    (ID(outcome.aggregate_id.to_string()), accepted)
}

/// The services, once the read side has applied `outcome` (the payload's consistency token).
async fn read_side_at<'a>(ctx: &Context<'a>, outcome: &CommandOutcome) -> Result<&'a Services> {
    let services = ctx.data::<Services>()?;
    services
        .progress
        .wait_for(outcome.position)
        .await
        .extend()?;
    Ok(services)
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub(crate) struct OrganizationPayload {
    pub organization_id: ID,
    #[graphql(flatten)]
    pub accepted: Accepted,
    #[graphql(skip)]
    pub outcome: CommandOutcome,
}

impl From<CommandOutcome> for OrganizationPayload {
    fn from(outcome: CommandOutcome) -> Self {
        let (organization_id, accepted) = accepted(&outcome);
        Self {
            organization_id,
            accepted,
            outcome,
        }
    }
}

#[ComplexObject]
impl OrganizationPayload {
    /// The read side's organization, once the projector has applied this change.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        let services = read_side_at(ctx, &self.outcome).await?;
        let found = services
            .organizations
            .by_id(self.outcome.aggregate_id)
            .await
            .extend()?;
        Ok(found.map(|profile| Organization(Arc::new(profile))))
    }
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub(crate) struct UserPayload {
    pub user_id: ID,
    #[graphql(flatten)]
    pub accepted: Accepted,
    #[graphql(skip)]
    pub outcome: CommandOutcome,
}

impl From<CommandOutcome> for UserPayload {
    fn from(outcome: CommandOutcome) -> Self {
        let (user_id, accepted) = accepted(&outcome);
        Self {
            user_id,
            accepted,
            outcome,
        }
    }
}

#[ComplexObject]
impl UserPayload {
    /// The read side's user, once the projector has applied this change.
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let services = read_side_at(ctx, &self.outcome).await?;
        let found = services
            .users
            .by_id(self.outcome.aggregate_id, self.outcome.position)
            .await
            .extend()?;
        Ok(found.map(User))
    }
}

#[derive(SimpleObject)]
pub(crate) struct DeleteUserPayload {
    pub user_id: ID,
    #[graphql(flatten)]
    pub accepted: Accepted,
}

impl From<CommandOutcome> for DeleteUserPayload {
    fn from(outcome: CommandOutcome) -> Self {
        let (user_id, accepted) = accepted(&outcome);
        Self { user_id, accepted }
    }
}
