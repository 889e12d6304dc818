//! `createUser`: a new active member of an existing organization, with a unique email.

use uuid::Uuid;

use super::store::StoredAggregate;
use super::{CommandContext, CommandError, CommandOutcome, CommandService};
use crate::domain::{Email, MemberRole, Name, Organization, User};

#[derive(Debug, Clone)]
pub struct CreateUser {
    pub organization_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: MemberRole,
}

impl CommandService {
    pub async fn create_user(
        &self,
        context: &CommandContext,
        input: CreateUser,
    ) -> Result<CommandOutcome, CommandError> {
        let event = User::create(
            Email::parse(&input.email)?,
            Name::parse("name", &input.name)?,
            input.role,
        );
        let user = User::created(Uuid::now_v7(), input.organization_id, &event)
            .expect("a creation event creates");
        let (txn, now) = self.begin().await?;
        if Organization::load(&txn, input.organization_id)
            .await?
            .is_none()
        {
            return Err(CommandError::NotFound(Organization::KIND));
        }
        user.insert(&txn, now).await?;
        self.record(txn, now, context, &user, event).await
    }
}
