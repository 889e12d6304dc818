//! Who may run what: the admin-only queries (mutations check the same rule in
//! [`super::mutation`]).

use async_graphql::{Context, ErrorExtensions, Guard, Result};

use super::RequestContext;
use crate::auth::Caller;
use crate::event_log::Position;

/// The caller attached to this request (anonymous when none was).
pub(super) fn caller<'a>(ctx: &'a Context<'_>) -> &'a Caller {
    ctx.data_opt::<RequestContext>()
        .map_or(&Caller::Anonymous, |request| &request.caller)
}

/// The position the request's reads must reflect at least (its consistency token's).
pub(super) fn read_at_least(ctx: &Context<'_>) -> Position {
    ctx.data_opt::<RequestContext>()
        .map_or(Position::ORIGIN, |request| request.read_at_least)
}

/// Admins only: anonymous callers get `UNAUTHENTICATED`, others `FORBIDDEN`.
pub(super) struct AdminOnly;

impl Guard for AdminOnly {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        caller(ctx).require_admin().map_err(|error| error.extend())
    }
}
