//! `changeUserEmail`: the new email must not belong to another live user.

use uuid::Uuid;

use super::{CommandContext, CommandError, CommandOutcome, CommandService};
use crate::domain::{Email, User};

#[derive(Debug, Clone)]
pub struct ChangeUserEmail {
    pub id: Uuid,
    pub expected_version: i32,
    pub email: String,
}

impl CommandService {
    pub async fn change_user_email(
        &self,
        context: &CommandContext,
        input: ChangeUserEmail,
    ) -> Result<CommandOutcome, CommandError> {
        let email = Email::parse(&input.email)?;
        self.update(context, input.id, input.expected_version, |user: &User| {
            user.change_email(email)
        })
        .await
    }
}
