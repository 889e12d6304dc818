//! The schema's one extension, which runs every per-request rule: the query limits and the
//! introspection switch on the document, the shaping and coding of errors on the response.
//!
//! They are one extension on purpose: async-graphql passes every field of every request
//! through each extension's `resolve` hook, one boxed future per extension, whether or not
//! the extension overrides it. A second extension made a cached `user(id)` about a fifth
//! slower (issue 8's benchmark); the rules themselves live in their own modules.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextResolve,
    NextSubscribe, NextValidation, ResolveInfo,
};
use async_graphql::futures_util::stream::BoxStream;
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Response, ServerError, ServerResult, ValidationResult, Value, Variables};

use super::QueryLimits;
use super::introspection::refuse_introspection;
use super::response_errors::ResponseErrors;

/// What every request is held to.
#[derive(Clone, Copy)]
pub(super) struct RequestRules {
    pub(super) limits: QueryLimits,
    pub(super) introspection: bool,
}

impl ExtensionFactory for RequestRules {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PerRequest {
            rules: *self,
            errors: ResponseErrors::default(),
        })
    }
}

/// The extension's state for one request (or one subscription).
struct PerRequest {
    rules: RequestRules,
    errors: ResponseErrors,
}

#[async_trait::async_trait]
impl Extension for PerRequest {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let response = next.run(ctx).await;
        self.errors.finish(response)
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        self.errors.subscribe(ctx, stream, next)
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let RequestRules {
            limits,
            introspection,
        } = &self.rules;
        limits.check_size(query)?;
        let document = next.run(ctx, query, variables).await?;
        limits.check_document(&document)?;
        if !introspection {
            refuse_introspection(&document)?;
        }
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let validated = next.run(ctx).await?;
        self.rules
            .limits
            .check_validated(&validated)
            .map_err(|error| vec![error])?;
        Ok(validated)
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        self.errors.resolve(ctx, info, next).await
    }
}
