//! `renameOrganization`.

use super::{Command, CommandContext, CommandError, CommandOutcome, CommandService, Target};
use crate::domain::{Name, Organization};

#[derive(Debug, Clone)]
pub struct RenameOrganization {
    pub target: Target,
    pub name: String,
}

impl Command for RenameOrganization {
    async fn handle(
        self,
        service: &CommandService,
        context: &CommandContext,
    ) -> Result<CommandOutcome, CommandError> {
        let name = Name::parse("name", &self.name)?;
        service
            .update(context, self.target, |organization: &Organization| {
                organization.rename(name)
            })
            .await
    }
}
