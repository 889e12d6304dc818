//! Subscription resolvers: changes after the read side has committed them.

use std::future::ready;

use async_graphql::{Context, ErrorExtensions, ID, Result, Subscription as SubscriptionRoot};
use futures_util::{Stream, StreamExt};

use super::Services;
use super::error::ClientError;
use super::ids::parse_optional_id;
use super::types::{Organization, OrganizationChange, User, UserChange};
use crate::event_log::Position;
use crate::query::{Change, ChangeFilter, QueryError, Subject};

pub struct Subscription;

fn parse_after(after: Option<&str>) -> Result<Option<Position>> {
    after
        .map(|text| {
            text.parse::<Position>()
                .map_err(|_| ClientError::bad_input("after", "is not a position").into())
        })
        .transpose()
}

async fn listen(
    ctx: &Context<'_>,
    filter: ChangeFilter,
    after: Option<String>,
) -> Result<impl Stream<Item = ChangeItem> + use<>> {
    let after = parse_after(after.as_deref())?;
    let changes = &ctx.data::<Services>()?.changes;
    changes
        .listen(filter, after)
        .await
        .map_err(|error| error.extend())
}

type ChangeItem = Result<std::sync::Arc<Change>, QueryError>;

fn user_change(item: ChangeItem) -> Option<Result<UserChange>> {
    let change = match item {
        Ok(change) => change,
        Err(error) => return Some(Err(error.extend())),
    };
    let Subject::User {
        user_id,
        organization_id,
        user,
    } = &change.subject
    else {
        return None;
    };
    Some(Ok(UserChange {
        kind: change.kind.into(),
        user_id: ID(user_id.to_string()),
        organization_id: ID(organization_id.to_string()),
        event: change.event.to_owned(),
        position: change.position.to_string(),
        user: user.clone().map(User),
    }))
}

fn organization_change(item: ChangeItem) -> Option<Result<OrganizationChange>> {
    let change = match item {
        Ok(change) => change,
        Err(error) => return Some(Err(error.extend())),
    };
    let Subject::Organization {
        organization_id,
        organization,
    } = &change.subject
    else {
        return None;
    };
    Some(Ok(OrganizationChange {
        kind: change.kind.into(),
        organization_id: ID(organization_id.to_string()),
        event: change.event.to_owned(),
        position: change.position.to_string(),
        organization: organization.clone().map(Organization),
    }))
}

#[SubscriptionRoot]
impl Subscription {
    /// Changes to users, optionally of one organization or one user. `after`: a position the
    /// listener already saw; every matching change after it comes first, then live ones.
    async fn user_changed(
        &self,
        ctx: &Context<'_>,
        organization_id: Option<ID>,
        user_id: Option<ID>,
        after: Option<String>,
    ) -> Result<impl Stream<Item = Result<UserChange>> + use<>> {
        let filter = ChangeFilter::Users {
            organization_id: parse_optional_id("organizationId", organization_id.as_ref())?,
            user_id: parse_optional_id("userId", user_id.as_ref())?,
        };
        Ok(listen(ctx, filter, after)
            .await?
            .filter_map(|item| ready(user_change(item))))
    }

    /// Changes to organizations, optionally to one. `after` as for `userChanged`.
    async fn organization_changed(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        after: Option<String>,
    ) -> Result<impl Stream<Item = Result<OrganizationChange>> + use<>> {
        let filter = ChangeFilter::Organizations {
            id: parse_optional_id("id", id.as_ref())?,
        };
        Ok(listen(ctx, filter, after)
            .await?
            .filter_map(|item| ready(organization_change(item))))
    }
}
