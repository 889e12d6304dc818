//! `renameOrganization`.

use uuid::Uuid;

use super::{CommandContext, CommandError, CommandOutcome, CommandService};
use crate::domain::{Name, Organization};

#[derive(Debug, Clone)]
pub struct RenameOrganization {
    pub id: Uuid,
    pub expected_version: i32,
    pub name: String,
}

impl CommandService {
    pub async fn rename_organization(
        &self,
        context: &CommandContext,
        input: RenameOrganization,
    ) -> Result<CommandOutcome, CommandError> {
        let name = Name::parse("name", &input.name)?;
        self.update(
            context,
            input.id,
            input.expected_version,
            |organization: &Organization| organization.rename(name),
        )
        .await
    }
}
