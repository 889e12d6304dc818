//! `deleteUser`: leaves a tombstone on the command side; the read side drops the row.

use super::{Command, CommandContext, CommandError, CommandOutcome, CommandService, Target};
use crate::domain::User;

#[derive(Debug, Clone)]
pub struct DeleteUser {
    pub target: Target,
}

impl Command for DeleteUser {
    async fn handle(
        self,
        service: &CommandService,
        context: &CommandContext,
    ) -> Result<CommandOutcome, CommandError> {
        service.update(context, self.target, User::delete).await
    }
}
