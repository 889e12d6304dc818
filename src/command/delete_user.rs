//! `deleteUser`: leaves a tombstone, so the id is never reused.

use uuid::Uuid;

use super::{CommandContext, CommandError, CommandOutcome, CommandService};
use crate::domain::User;

#[derive(Debug, Clone)]
pub struct DeleteUser {
    pub id: Uuid,
    pub expected_version: i32,
}

impl CommandService {
    pub async fn delete_user(
        &self,
        context: &CommandContext,
        input: DeleteUser,
    ) -> Result<CommandOutcome, CommandError> {
        self.update(context, input.id, input.expected_version, |user: &User| {
            user.delete()
        })
        .await
    }
}
