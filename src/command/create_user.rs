//! `createUser`: a new active member of an existing organization, with a unique email.

use uuid::Uuid;

use super::store::StoredAggregate;
use super::{Command, CommandContext, CommandError, CommandOutcome, CommandService};
use crate::domain::Aggregate;
use crate::domain::{Email, MemberRole, Name, Organization, User, UserEvent};

#[derive(Debug, Clone)]
pub struct CreateUser {
    pub organization_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: MemberRole,
}

impl Command for CreateUser {
    async fn handle(
        self,
        service: &CommandService,
        context: &CommandContext,
    ) -> Result<CommandOutcome, CommandError> {
        let created = User::create(
            Email::parse(&self.email)?,
            Name::parse("name", &self.name)?,
            self.role,
        );
        let user = User::created(Uuid::now_v7(), self.organization_id, &created);
        let (txn, now) = service.begin(context).await?;
        if Organization::load(&txn, self.organization_id)
            .await?
            .is_none()
        {
            return Err(CommandError::NotFound(Organization::KIND));
        }
        service
            .insert(txn, now, context, user, UserEvent::UserCreated(created))
            .await
    }
}
