//! `createOrganization`: a new organization with a unique slug.

use uuid::Uuid;

use super::{CommandContext, CommandError, CommandOutcome, CommandService};
use crate::domain::{Name, Organization, Slug};

#[derive(Debug, Clone)]
pub struct CreateOrganization {
    pub slug: String,
    pub name: String,
}

impl CommandService {
    pub async fn create_organization(
        &self,
        context: &CommandContext,
        input: CreateOrganization,
    ) -> Result<CommandOutcome, CommandError> {
        let event =
            Organization::create(Slug::parse(&input.slug)?, Name::parse("name", &input.name)?);
        let organization =
            Organization::created(Uuid::now_v7(), &event).expect("a creation event creates");
        self.create(context, organization, event).await
    }
}
