//! `changeUserEmail`: to an address no other live user has.

use super::{Command, CommandContext, CommandError, CommandOutcome, CommandService, Target};
use crate::domain::{Email, User};

#[derive(Debug, Clone)]
pub struct ChangeUserEmail {
    pub target: Target,
    pub email: String,
}

impl Command for ChangeUserEmail {
    async fn handle(
        self,
        service: &CommandService,
        context: &CommandContext,
    ) -> Result<CommandOutcome, CommandError> {
        let email = Email::parse(&self.email)?;
        service
            .update(context, self.target, |user: &User| user.change_email(email))
            .await
    }
}
