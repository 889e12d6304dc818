//! The user mutations: one input type and one short resolver each.

use async_graphql::{Context, ID, InputObject, Object, Result};

use super::{CommandInput, TargetInput, execute};
use crate::command::{
    ChangeUserEmail, ChangeUserRole, CreateUser, DeleteUser, ReactivateUser, RenameUser,
    SuspendUser,
};
use crate::graphql::error::ClientError;
use crate::graphql::ids::parse_id;
use crate::graphql::types::{DeleteUserPayload, MemberRole, UserPayload};

#[derive(InputObject)]
pub(super) struct CreateUserInput {
    organization_id: ID,
    email: String,
    name: String,
    /// MEMBER when omitted or null.
    #[graphql(default_with = "Some(MemberRole::Member)")]
    role: Option<MemberRole>,
}

impl CommandInput for CreateUserInput {
    type Command = CreateUser;

    fn into_command(self) -> Result<CreateUser, ClientError> {
        Ok(CreateUser {
            organization_id: parse_id("organizationId", &self.organization_id)?,
            email: self.email,
            name: self.name,
            role: self.role.unwrap_or(MemberRole::Member).into(),
        })
    }
}

#[derive(InputObject)]
pub(super) struct RenameUserInput {
    #[graphql(flatten)]
    target: TargetInput,
    name: String,
}

impl CommandInput for RenameUserInput {
    type Command = RenameUser;

    fn into_command(self) -> Result<RenameUser, ClientError> {
        let (target, name) = (self.target.parse()?, self.name);
        Ok(RenameUser { target, name })
    }
}

#[derive(InputObject)]
pub(super) struct ChangeUserEmailInput {
    #[graphql(flatten)]
    target: TargetInput,
    email: String,
}

impl CommandInput for ChangeUserEmailInput {
    type Command = ChangeUserEmail;

    fn into_command(self) -> Result<ChangeUserEmail, ClientError> {
        let (target, email) = (self.target.parse()?, self.email);
        Ok(ChangeUserEmail { target, email })
    }
}

#[derive(InputObject)]
pub(super) struct ChangeUserRoleInput {
    #[graphql(flatten)]
    target: TargetInput,
    role: MemberRole,
}

impl CommandInput for ChangeUserRoleInput {
    type Command = ChangeUserRole;

    fn into_command(self) -> Result<ChangeUserRole, ClientError> {
        let (target, role) = (self.target.parse()?, self.role.into());
        Ok(ChangeUserRole { target, role })
    }
}

#[derive(InputObject)]
pub(super) struct SuspendUserInput {
    #[graphql(flatten)]
    target: TargetInput,
    reason: Option<String>,
}

impl CommandInput for SuspendUserInput {
    type Command = SuspendUser;

    fn into_command(self) -> Result<SuspendUser, ClientError> {
        let (target, reason) = (self.target.parse()?, self.reason);
        Ok(SuspendUser { target, reason })
    }
}

#[derive(InputObject)]
pub(super) struct ReactivateUserInput {
    #[graphql(flatten)]
    target: TargetInput,
}

impl CommandInput for ReactivateUserInput {
    type Command = ReactivateUser;

    fn into_command(self) -> Result<ReactivateUser, ClientError> {
        Ok(ReactivateUser {
            target: self.target.parse()?,
        })
    }
}

#[derive(InputObject)]
pub(super) struct DeleteUserInput {
    #[graphql(flatten)]
    target: TargetInput,
}

impl CommandInput for DeleteUserInput {
    type Command = DeleteUser;

    fn into_command(self) -> Result<DeleteUser, ClientError> {
        Ok(DeleteUser {
            target: self.target.parse()?,
        })
    }
}

#[derive(Default)]
pub(super) struct UserMutations;

#[Object]
impl UserMutations {
    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> Result<UserPayload> {
        execute(ctx, input).await
    }

    async fn rename_user(&self, ctx: &Context<'_>, input: RenameUserInput) -> Result<UserPayload> {
        execute(ctx, input).await
    }

    async fn change_user_email(
        &self,
        ctx: &Context<'_>,
        input: ChangeUserEmailInput,
    ) -> Result<UserPayload> {
        execute(ctx, input).await
    }

    async fn change_user_role(
        &self,
        ctx: &Context<'_>,
        input: ChangeUserRoleInput,
    ) -> Result<UserPayload> {
        execute(ctx, input).await
    }

    async fn suspend_user(
        &self,
        ctx: &Context<'_>,
        input: SuspendUserInput,
    ) -> Result<UserPayload> {
        execute(ctx, input).await
    }

    async fn reactivate_user(
        &self,
        ctx: &Context<'_>,
        input: ReactivateUserInput,
    ) -> Result<UserPayload> {
        execute(ctx, input).await
    }

    async fn delete_user(
        &self,
        ctx: &Context<'_>,
        input: DeleteUserInput,
    ) -> Result<DeleteUserPayload> {
        execute(ctx, input).await
    }
}
