//! `reactivateUser`: a suspended user only.

use super::{Command, CommandContext, CommandError, CommandOutcome, CommandService, Target};
use crate::domain::User;

#[derive(Debug, Clone)]
pub struct ReactivateUser {
    pub target: Target,
}

impl Command for ReactivateUser {
    async fn handle(
        self,
        service: &CommandService,
        context: &CommandContext,
    ) -> Result<CommandOutcome, CommandError> {
        service.update(context, self.target, User::reactivate).await
    }
}
