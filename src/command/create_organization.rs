//! `createOrganization`: a new organization with a unique slug.

use uuid::Uuid;

use super::{Command, CommandContext, CommandError, CommandOutcome, CommandService};
use crate::domain::{Name, Organization, OrganizationEvent, Slug};

#[derive(Debug, Clone)]
pub struct CreateOrganization {
    pub slug: String,
    pub name: String,
}

impl Command for CreateOrganization {
    async fn handle(
        self,
        service: &CommandService,
        context: &CommandContext,
    ) -> Result<CommandOutcome, CommandError> {
        let created =
            Organization::create(Slug::parse(&self.slug)?, Name::parse("name", &self.name)?);
        let organization = Organization::created(Uuid::now_v7(), &created);
        let (txn, now) = service.begin(context).await?;
        service
            .insert(
                txn,
                now,
                context,
                organization,
                OrganizationEvent::OrganizationCreated(created),
            )
            .await
    }
}
