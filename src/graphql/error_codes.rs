//! Gives every error a code: async-graphql's own errors (parse, validation, a subscription
//! sent over HTTP) come without one, and clients dispatch on `extensions.code`.
//!
//! An error with no path was raised before execution, so the request itself was wrong:
//! `BAD_USER_INPUT`. One with a path and no code escaped a resolver without passing through
//! [`super::error`]: `INTERNAL_SERVER_ERROR`, with its message replaced.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextRequest, NextSubscribe,
};
use async_graphql::futures_util::stream::BoxStream;
use async_graphql::{ErrorExtensionValues, Response, ServerError};
use futures_util::StreamExt;

use super::ErrorCode;

pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodes)
    }
}

#[async_trait::async_trait]
impl Extension for ErrorCodes {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        with_codes(next.run(ctx).await)
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        next.run(ctx, stream).map(with_codes).boxed()
    }
}

fn with_codes(mut response: Response) -> Response {
    response.errors.iter_mut().for_each(give_code);
    response
}

fn give_code(error: &mut ServerError) {
    let extensions = error
        .extensions
        .get_or_insert_with(ErrorExtensionValues::default);
    if extensions.get("code").is_some() {
        return;
    }
    if error.path.is_empty() {
        extensions.set("code", ErrorCode::BadUserInput.as_str());
    } else {
        tracing::error!(message = %error.message, path = ?error.path, "an error escaped without a code");
        extensions.set("code", ErrorCode::InternalServerError.as_str());
        error.message = "internal error".to_owned();
    }
}
