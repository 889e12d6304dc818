//! Shapes the errors of every response and every subscription event.
//!
//! A nullable field whose resolver fails reads `null`, with its error beside the data, as the
//! GraphQL spec says. async-graphql 7 instead drops the field's key (and turns an object whose
//! every field failed into `null`), which clients read as a malformed response. So the
//! extension catches the error of a nullable field, answers `null` for it and hands the error
//! back to the response. Non-null fields keep the library's behaviour: their error propagates
//! to the nearest nullable parent.
//!
//! Then every error gets a code: async-graphql's own errors (parse, validation, an argument
//! it cannot read, a subscription sent over HTTP) come without one, and clients dispatch on
//! `extensions.code`. A field's error is looked at where the field failed, while its
//! arguments are at hand; the rest once the response is complete. Which code is
//! [`super::error`]'s decision.
//!
//! A subscription (and every operation over WebSocket) is polled long after its connection
//! was opened, outside any HTTP request: each poll runs with the connection's request id, so
//! its server-side errors carry that id as HTTP requests' do.

use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::extensions::{ExtensionContext, NextResolve, NextSubscribe, ResolveInfo};
use async_graphql::futures_util::stream::BoxStream;
use async_graphql::{Response, ServerError, ServerResult, Value};
use futures_util::StreamExt;

use super::RequestContext;
use super::error::{give_argument_code, give_code};
use super::request_id;

/// The errors of nullable fields in one request (or one subscription event). The schema's
/// one extension ([`super::extension`]) calls it from its hooks.
#[derive(Default, Clone)]
pub(super) struct ResponseErrors(Arc<Mutex<Vec<ServerError>>>);

impl ResponseErrors {
    /// Adds the collected errors to `response`, then gives every error its code.
    pub(super) fn finish(&self, mut response: Response) -> Response {
        let errors = std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner));
        response.errors.extend(errors);
        response.errors.iter_mut().for_each(give_code);
        response
    }

    /// Finishes every event of a subscription, each polled in its connection's request id.
    pub(super) fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let collected = self.clone();
        let mut responses = next
            .run(ctx, stream)
            .map(move |response| collected.finish(response))
            .boxed();
        let Some(context) = ctx.data_opt::<RequestContext>() else {
            return responses;
        };
        let id = context.request_id.clone();
        futures_util::stream::poll_fn(move |cx| {
            request_id::sync_scope(id.clone(), || responses.poll_next_unpin(cx))
        })
        .boxed()
    }

    /// Resolves one field: the error of a nullable field is kept for the response and the
    /// field reads `null`; a non-null field's error propagates.
    pub(super) async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let nullable = !info.return_type.ends_with('!');
        let field = info.field;
        match next.run(ctx, info).await {
            Err(mut error) => {
                give_argument_code(&mut error, field);
                if !nullable {
                    return Err(error);
                }
                self.0
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(error);
                Ok(Some(Value::Null))
            }
            resolved => resolved,
        }
    }
}
