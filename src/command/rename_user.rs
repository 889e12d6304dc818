//! `renameUser`.

use super::{Command, CommandContext, CommandError, CommandOutcome, CommandService, Target};
use crate::domain::{Name, User};

#[derive(Debug, Clone)]
pub struct RenameUser {
    pub target: Target,
    pub name: String,
}

impl Command for RenameUser {
    async fn handle(
        self,
        service: &CommandService,
        context: &CommandContext,
    ) -> Result<CommandOutcome, CommandError> {
        let name = Name::parse("name", &self.name)?;
        service
            .update(context, self.target, |user: &User| user.rename(name))
            .await
    }
}
