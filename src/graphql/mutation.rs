//! Mutation resolvers: each one runs one command, as an admin.

use async_graphql::{Context, ID, InputObject, Object, Result, ResultExt};

use super::error::command_error_code;
use super::guard::AdminOnly;
use super::ids::parse_id;
use super::types::{DeleteUserPayload, MemberRole, OrganizationPayload, UserPayload};
use super::{RequestContext, Services};
use crate::command::{self, CommandContext, CommandError, CommandOutcome, CommandService};

#[derive(InputObject)]
pub struct CreateOrganizationInput {
    pub slug: String,
    pub name: String,
}

#[derive(InputObject)]
pub struct RenameOrganizationInput {
    pub id: ID,
    pub expected_version: i32,
    pub name: String,
}

#[derive(InputObject)]
pub struct CreateUserInput {
    pub organization_id: ID,
    pub email: String,
    pub name: String,
    /// MEMBER when omitted or null.
    #[graphql(default_with = "Some(MemberRole::Member)")]
    pub role: Option<MemberRole>,
}

#[derive(InputObject)]
pub struct RenameUserInput {
    pub id: ID,
    pub expected_version: i32,
    pub name: String,
}

#[derive(InputObject)]
pub struct ChangeUserEmailInput {
    pub id: ID,
    pub expected_version: i32,
    pub email: String,
}

#[derive(InputObject)]
pub struct ChangeUserRoleInput {
    pub id: ID,
    pub expected_version: i32,
    pub role: MemberRole,
}

#[derive(InputObject)]
pub struct SuspendUserInput {
    pub id: ID,
    pub expected_version: i32,
    pub reason: Option<String>,
}

#[derive(InputObject)]
pub struct ReactivateUserInput {
    pub id: ID,
    pub expected_version: i32,
}

#[derive(InputObject)]
pub struct DeleteUserInput {
    pub id: ID,
    pub expected_version: i32,
}

pub struct Mutation;

/// Runs one command for the request's caller and counts its outcome.
async fn run<F, Fut>(ctx: &Context<'_>, name: &'static str, command: F) -> Result<CommandOutcome>
where
    F: FnOnce(CommandService, CommandContext) -> Fut,
    Fut: Future<Output = Result<CommandOutcome, CommandError>>,
{
    let services = ctx.data::<Services>()?;
    let context = ctx
        .data_opt::<RequestContext>()
        .map(RequestContext::command_context)
        .unwrap_or_default();
    let result = command(services.commands.clone(), context).await;
    let outcome = result
        .as_ref()
        .map_or_else(|error| command_error_code(error).as_str(), |_| "OK");
    metrics::counter!("rosterql_commands_total", "command" => name, "outcome" => outcome)
        .increment(1);
    result.extend()
}

#[Object]
impl Mutation {
    #[graphql(guard = "AdminOnly")]
    async fn create_organization(
        &self,
        ctx: &Context<'_>,
        input: CreateOrganizationInput,
    ) -> Result<OrganizationPayload> {
        let input = command::CreateOrganization {
            slug: input.slug,
            name: input.name,
        };
        let outcome = run(ctx, "createOrganization", async move |commands, context| {
            commands.create_organization(&context, input).await
        })
        .await?;
        Ok(outcome.into())
    }

    #[graphql(guard = "AdminOnly")]
    async fn rename_organization(
        &self,
        ctx: &Context<'_>,
        input: RenameOrganizationInput,
    ) -> Result<OrganizationPayload> {
        let input = command::RenameOrganization {
            id: parse_id("id", &input.id)?,
            expected_version: input.expected_version,
            name: input.name,
        };
        let outcome = run(ctx, "renameOrganization", async move |commands, context| {
            commands.rename_organization(&context, input).await
        })
        .await?;
        Ok(outcome.into())
    }

    #[graphql(guard = "AdminOnly")]
    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> Result<UserPayload> {
        let input = command::CreateUser {
            organization_id: parse_id("organizationId", &input.organization_id)?,
            email: input.email,
            name: input.name,
            role: input.role.unwrap_or(MemberRole::Member).into(),
        };
        let outcome = run(ctx, "createUser", async move |commands, context| {
            commands.create_user(&context, input).await
        })
        .await?;
        Ok(outcome.into())
    }

    #[graphql(guard = "AdminOnly")]
    async fn rename_user(&self, ctx: &Context<'_>, input: RenameUserInput) -> Result<UserPayload> {
        let input = command::RenameUser {
            id: parse_id("id", &input.id)?,
            expected_version: input.expected_version,
            name: input.name,
        };
        let outcome = run(ctx, "renameUser", async move |commands, context| {
            commands.rename_user(&context, input).await
        })
        .await?;
        Ok(outcome.into())
    }

    #[graphql(guard = "AdminOnly")]
    async fn change_user_email(
        &self,
        ctx: &Context<'_>,
        input: ChangeUserEmailInput,
    ) -> Result<UserPayload> {
        let input = command::ChangeUserEmail {
            id: parse_id("id", &input.id)?,
            expected_version: input.expected_version,
            email: input.email,
        };
        let outcome = run(ctx, "changeUserEmail", async move |commands, context| {
            commands.change_user_email(&context, input).await
        })
        .await?;
        Ok(outcome.into())
    }

    #[graphql(guard = "AdminOnly")]
    async fn change_user_role(
        &self,
        ctx: &Context<'_>,
        input: ChangeUserRoleInput,
    ) -> Result<UserPayload> {
        let input = command::ChangeUserRole {
            id: parse_id("id", &input.id)?,
            expected_version: input.expected_version,
            role: input.role.into(),
        };
        let outcome = run(ctx, "changeUserRole", async move |commands, context| {
            commands.change_user_role(&context, input).await
        })
        .await?;
        Ok(outcome.into())
    }

    #[graphql(guard = "AdminOnly")]
    async fn suspend_user(
        &self,
        ctx: &Context<'_>,
        input: SuspendUserInput,
    ) -> Result<UserPayload> {
        let input = command::SuspendUser {
            id: parse_id("id", &input.id)?,
            expected_version: input.expected_version,
            reason: input.reason,
        };
        let outcome = run(ctx, "suspendUser", async move |commands, context| {
            commands.suspend_user(&context, input).await
        })
        .await?;
        Ok(outcome.into())
    }

    #[graphql(guard = "AdminOnly")]
    async fn reactivate_user(
        &self,
        ctx: &Context<'_>,
        input: ReactivateUserInput,
    ) -> Result<UserPayload> {
        let input = command::ReactivateUser {
            id: parse_id("id", &input.id)?,
            expected_version: input.expected_version,
        };
        let outcome = run(ctx, "reactivateUser", async move |commands, context| {
            commands.reactivate_user(&context, input).await
        })
        .await?;
        Ok(outcome.into())
    }

    #[graphql(guard = "AdminOnly")]
    async fn delete_user(
        &self,
        ctx: &Context<'_>,
        input: DeleteUserInput,
    ) -> Result<DeleteUserPayload> {
        let input = command::DeleteUser {
            id: parse_id("id", &input.id)?,
            expected_version: input.expected_version,
        };
        let outcome = run(ctx, "deleteUser", async move |commands, context| {
            commands.delete_user(&context, input).await
        })
        .await?;
        Ok(outcome.into())
    }
}
