//! `suspendUser`: an active user only.

use uuid::Uuid;

use super::{CommandContext, CommandError, CommandOutcome, CommandService};
use crate::domain::User;

#[derive(Debug, Clone)]
pub struct SuspendUser {
    pub id: Uuid,
    pub expected_version: i32,
    pub reason: Option<String>,
}

impl CommandService {
    pub async fn suspend_user(
        &self,
        context: &CommandContext,
        input: SuspendUser,
    ) -> Result<CommandOutcome, CommandError> {
        let reason = input.reason;
        self.update(context, input.id, input.expected_version, |user: &User| {
            user.suspend(reason.as_deref())
        })
        .await
    }
}
