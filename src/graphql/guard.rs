//! Who may run what: every mutation and the admin-only queries and fields.

use async_graphql::{Context, Guard, Result};

use super::RequestContext;
use super::error::{ErrorCode, client_error};
use crate::auth::Caller;

/// The caller attached to this request (anonymous when none was).
pub fn caller<'a>(ctx: &'a Context<'_>) -> &'a Caller {
    ctx.data_opt::<RequestContext>()
        .map_or(&Caller::Anonymous, |request| &request.caller)
}

/// Admins only: anonymous callers get `UNAUTHENTICATED`, others `FORBIDDEN`.
pub struct AdminOnly;

impl Guard for AdminOnly {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        match caller(ctx) {
            Caller::Anonymous => Err(client_error(
                ErrorCode::Unauthenticated,
                "sign in as an admin to do this",
            )),
            caller if caller.is_admin() => Ok(()),
            Caller::Authenticated { .. } => Err(client_error(
                ErrorCode::Forbidden,
                "only admins may do this",
            )),
        }
    }
}
