//! `suspendUser`: an active user only.

use super::{Command, CommandContext, CommandError, CommandOutcome, CommandService, Target};
use crate::domain::User;

#[derive(Debug, Clone)]
pub struct SuspendUser {
    pub target: Target,
    pub reason: Option<String>,
}

impl Command for SuspendUser {
    async fn handle(
        self,
        service: &CommandService,
        context: &CommandContext,
    ) -> Result<CommandOutcome, CommandError> {
        service
            .update(context, self.target, |user: &User| {
                user.suspend(self.reason.as_deref())
            })
            .await
    }
}
