//! `renameUser`.

use uuid::Uuid;

use super::{CommandContext, CommandError, CommandOutcome, CommandService};
use crate::domain::{Name, User};

#[derive(Debug, Clone)]
pub struct RenameUser {
    pub id: Uuid,
    pub expected_version: i32,
    pub name: String,
}

impl CommandService {
    pub async fn rename_user(
        &self,
        context: &CommandContext,
        input: RenameUser,
    ) -> Result<CommandOutcome, CommandError> {
        let name = Name::parse("name", &input.name)?;
        self.update(context, input.id, input.expected_version, |user: &User| {
            user.rename(name)
        })
        .await
    }
}
