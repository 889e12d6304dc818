//! `createOrganization` and `renameOrganization`.

use async_graphql::{Context, InputObject, Object, Result};

use super::{CommandInput, TargetInput, execute};
use crate::command::{CreateOrganization, RenameOrganization};
use crate::graphql::error::ClientError;
use crate::graphql::types::OrganizationPayload;

#[derive(InputObject)]
pub(super) struct CreateOrganizationInput {
    slug: String,
    name: String,
}

impl CommandInput for CreateOrganizationInput {
    type Command = CreateOrganization;

    fn into_command(self) -> Result<CreateOrganization, ClientError> {
        Ok(CreateOrganization {
            slug: self.slug,
            name: self.name,
        })
    }
}

#[derive(InputObject)]
pub(super) struct RenameOrganizationInput {
    #[graphql(flatten)]
    target: TargetInput,
    name: String,
}

impl CommandInput for RenameOrganizationInput {
    type Command = RenameOrganization;

    fn into_command(self) -> Result<RenameOrganization, ClientError> {
        Ok(RenameOrganization {
            target: self.target.parse()?,
            name: self.name,
        })
    }
}

#[derive(Default)]
pub(super) struct OrganizationMutations;

#[Object]
impl OrganizationMutations {
    async fn create_organization(
        &self,
        ctx: &Context<'_>,
        input: CreateOrganizationInput,
    ) -> Result<OrganizationPayload> {
        execute(ctx, input).await
    }

    async fn rename_organization(
        &self,
        ctx: &Context<'_>,
        input: RenameOrganizationInput,
    ) -> Result<OrganizationPayload> {
        execute(ctx, input).await
    }
}
