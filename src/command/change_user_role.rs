//! `changeUserRole`.

use uuid::Uuid;

use super::{CommandContext, CommandError, CommandOutcome, CommandService};
use crate::domain::{MemberRole, User};

#[derive(Debug, Clone)]
pub struct ChangeUserRole {
    pub id: Uuid,
    pub expected_version: i32,
    pub role: MemberRole,
}

impl CommandService {
    pub async fn change_user_role(
        &self,
        context: &CommandContext,
        input: ChangeUserRole,
    ) -> Result<CommandOutcome, CommandError> {
        let role = input.role;
        self.update(context, input.id, input.expected_version, |user: &User| {
            user.change_role(role)
        })
        .await
    }
}
