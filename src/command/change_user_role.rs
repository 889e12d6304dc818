//! `changeUserRole`.

use super::{Command, CommandContext, CommandError, CommandOutcome, CommandService, Target};
use crate::domain::{MemberRole, User};

#[derive(Debug, Clone)]
pub struct ChangeUserRole {
    pub target: Target,
    pub role: MemberRole,
}

impl Command for ChangeUserRole {
    async fn handle(
        self,
        service: &CommandService,
        context: &CommandContext,
    ) -> Result<CommandOutcome, CommandError> {
        service
            .update(context, self.target, |user: &User| {
                user.change_role(self.role)
            })
            .await
    }
}
