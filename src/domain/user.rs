//! The user aggregate: a member of one organization, with a role and a status.
//!
//! Rules: a suspended user can't be suspended again nor an active one reactivated; a deleted
//! user accepts no command (the command side treats it as gone).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::values::printable;
use super::{Aggregate, DomainError, Email, Name, UserCreated, UserEvent};

const SUSPENSION_REASON_MAX_CHARS: usize = 500;

/// A user's role in its organization (not the caller's token role).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MemberRole {
    Owner,
    Admin,
    Member,
    Guest,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserStatus {
    Active,
    Suspended,
}

macro_rules! stored_as_text {
    ($type:ty { $($variant:ident => $text:literal),* $(,)? }) => {
        impl $type {
            /// The value as stored in a text column.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),* }
            }

            /// Reads a value written by [`Self::as_str`].
            pub fn from_stored(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)* _ => None }
            }
        }
    };
}
stored_as_text!(MemberRole { Owner => "OWNER", Admin => "ADMIN", Member => "MEMBER", Guest => "GUEST" });
stored_as_text!(UserStatus { Active => "ACTIVE", Suspended => "SUSPENDED" });

/// A user as the command side holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub email: Email,
    pub name: Name,
    pub role: MemberRole,
    pub status: UserStatus,
    pub deleted: bool,
    pub version: i32,
}

impl User {
    /// Decides the creation of a new user in an existing organization.
    pub fn create(email: Email, name: Name, role: MemberRole) -> UserCreated {
        UserCreated { email, name, role }
    }

    /// Builds the state a creation event describes, at version 1.
    pub fn created(id: Uuid, organization_id: Uuid, event: &UserCreated) -> Self {
        Self {
            id,
            organization_id,
            email: event.email.clone(),
            name: event.name.clone(),
            role: event.role,
            status: UserStatus::Active,
            deleted: false,
            version: 1,
        }
    }

    pub fn rename(&self, name: Name) -> Result<UserEvent, DomainError> {
        Ok(UserEvent::UserRenamed { name })
    }

    pub fn change_email(&self, email: Email) -> Result<UserEvent, DomainError> {
        Ok(UserEvent::UserEmailChanged { email })
    }

    pub fn change_role(&self, role: MemberRole) -> Result<UserEvent, DomainError> {
        Ok(UserEvent::UserRoleChanged { role })
    }

    pub fn suspend(&self, reason: Option<&str>) -> Result<UserEvent, DomainError> {
        if self.status == UserStatus::Suspended {
            return Err(DomainError::invalid("id", "the user is already suspended"));
        }
        let reason = reason.map(str::trim).filter(|reason| !reason.is_empty());
        if reason.is_some_and(|reason| reason.chars().count() > SUSPENSION_REASON_MAX_CHARS) {
            return Err(DomainError::invalid(
                "reason",
                format!("must be at most {SUSPENSION_REASON_MAX_CHARS} characters"),
            ));
        }
        if let Some(reason) = reason {
            printable("reason", reason)?;
        }
        Ok(UserEvent::UserSuspended {
            reason: reason.map(str::to_owned),
        })
    }

    pub fn reactivate(&self) -> Result<UserEvent, DomainError> {
        if self.status == UserStatus::Active {
            return Err(DomainError::invalid("id", "the user is not suspended"));
        }
        Ok(UserEvent::UserReactivated)
    }

    pub fn delete(&self) -> Result<UserEvent, DomainError> {
        Ok(UserEvent::UserDeleted)
    }
}

impl Aggregate for User {
    type Event = UserEvent;

    const KIND: &'static str = "user";

    fn id(&self) -> Uuid {
        self.id
    }

    fn version(&self) -> i32 {
        self.version
    }

    fn apply(&mut self, event: &UserEvent) {
        match event {
            UserEvent::UserCreated(_) => {}
            UserEvent::UserRenamed { name } => self.name = name.clone(),
            UserEvent::UserEmailChanged { email } => self.email = email.clone(),
            UserEvent::UserRoleChanged { role } => self.role = *role,
            UserEvent::UserSuspended { .. } => self.status = UserStatus::Suspended,
            UserEvent::UserReactivated => self.status = UserStatus::Active,
            UserEvent::UserDeleted => self.deleted = true,
        }
        self.version += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given_an_active_user() -> User {
        let event = User::create(
            Email::parse("ada@example.com").unwrap(),
            Name::parse("name", "Ada").unwrap(),
            MemberRole::Member,
        );
        User::created(Uuid::now_v7(), Uuid::now_v7(), &event)
    }

    #[test]
    fn a_new_user_is_active_at_version_one() {
        let user = given_an_active_user();
        assert_eq!(
            (user.status, user.version, user.deleted),
            (UserStatus::Active, 1, false)
        );
    }

    #[test]
    fn suspending_then_reactivating_moves_the_status_and_the_version() {
        let mut user = given_an_active_user();
        let suspended = user.suspend(Some("  left the company ")).unwrap();
        assert_eq!(
            suspended,
            UserEvent::UserSuspended {
                reason: Some("left the company".into())
            }
        );
        user.apply(&suspended);
        assert_eq!((user.status, user.version), (UserStatus::Suspended, 2));

        user.apply(&user.reactivate().unwrap());
        assert_eq!((user.status, user.version), (UserStatus::Active, 3));
    }

    #[test]
    fn a_suspended_user_cannot_be_suspended_again() {
        let mut user = given_an_active_user();
        user.apply(&user.suspend(None).unwrap());
        assert_eq!(
            user.suspend(None),
            Err(DomainError::invalid("id", "the user is already suspended"))
        );
    }

    #[test]
    fn an_active_user_cannot_be_reactivated() {
        assert!(given_an_active_user().reactivate().is_err());
    }

    #[test]
    fn a_blank_reason_is_no_reason_and_a_long_one_is_refused() {
        let user = given_an_active_user();
        assert_eq!(
            user.suspend(Some("   ")),
            Ok(UserEvent::UserSuspended { reason: None })
        );
        let longest = "x".repeat(500);
        assert_eq!(
            user.suspend(Some(&longest)),
            Ok(UserEvent::UserSuspended {
                reason: Some(longest.clone())
            })
        );
        assert_eq!(
            user.suspend(Some(&"x".repeat(501))),
            Err(DomainError::invalid(
                "reason",
                "must be at most 500 characters"
            ))
        );
    }

    #[test]
    fn the_aggregate_reports_its_id_and_a_version_that_counts_events() {
        let mut user = given_an_active_user();
        let id = user.id;
        user.apply(&user.rename(Name::parse("name", "Ada L.").unwrap()).unwrap());
        user.apply(&user.change_role(MemberRole::Admin).unwrap());
        assert_eq!((Aggregate::id(&user), Aggregate::version(&user)), (id, 3));
    }

    #[test]
    fn renaming_changing_email_and_role_apply_their_values() {
        let mut user = given_an_active_user();
        user.apply(&user.rename(Name::parse("name", "Ada L.").unwrap()).unwrap());
        user.apply(
            &user
                .change_email(Email::parse("ADA@x.org").unwrap())
                .unwrap(),
        );
        user.apply(&user.change_role(MemberRole::Owner).unwrap());
        assert_eq!(
            (
                user.name.as_str(),
                user.email.as_str(),
                user.role,
                user.version
            ),
            ("Ada L.", "ada@x.org", MemberRole::Owner, 4)
        );
    }

    #[test]
    fn deleting_leaves_a_tombstone() {
        let mut user = given_an_active_user();
        user.apply(&user.delete().unwrap());
        assert!(user.deleted);
    }

    #[test]
    fn roles_and_statuses_round_trip_through_their_stored_text() {
        for role in [
            MemberRole::Owner,
            MemberRole::Admin,
            MemberRole::Member,
            MemberRole::Guest,
        ] {
            assert_eq!(MemberRole::from_stored(role.as_str()), Some(role));
        }
        for status in [UserStatus::Active, UserStatus::Suspended] {
            assert_eq!(UserStatus::from_stored(status.as_str()), Some(status));
        }
    }
}
