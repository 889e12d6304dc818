//! `reactivateUser`: a suspended user only.

use uuid::Uuid;

use super::{CommandContext, CommandError, CommandOutcome, CommandService};
use crate::domain::User;

#[derive(Debug, Clone)]
pub struct ReactivateUser {
    pub id: Uuid,
    pub expected_version: i32,
}

impl CommandService {
    pub async fn reactivate_user(
        &self,
        context: &CommandContext,
        input: ReactivateUser,
    ) -> Result<CommandOutcome, CommandError> {
        self.update(context, input.id, input.expected_version, |user: &User| {
            user.reactivate()
        })
        .await
    }
}
