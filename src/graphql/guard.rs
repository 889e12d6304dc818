//! Who may run what: the admin-only queries (mutations check the same rule in
//! [`super::mutation`]).

use async_graphql::{Context, ErrorExtensions, Guard, Result};

use super::RequestContext;
use crate::auth::Caller;

/// The caller attached to this request (anonymous when none was).
pub(super) fn caller<'a>(ctx: &'a Context<'_>) -> &'a Caller {
    ctx.data_opt::<RequestContext>()
        .map_or(&Caller::Anonymous, |request| &request.caller)
}

/// Admins only: anonymous callers get `UNAUTHENTICATED`, others `FORBIDDEN`.
pub(super) struct AdminOnly;

impl Guard for AdminOnly {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        caller(ctx).require_admin().map_err(|error| error.extend())
    }
}
