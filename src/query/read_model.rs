//! The read side's answers: plain values, no database or GraphQL types.

use chrono::{DateTime, Utc};
use sea_orm::DbErr;
use uuid::Uuid;

use super::store::{organization_profiles, user_profiles};
use crate::domain::{MemberRole, UserStatus};

/// An organization as users see it on a user: flat, copied onto the user's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationRef {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserProfile {
    pub id: Uuid,
    pub organization: OrganizationRef,
    pub email: String,
    pub name: String,
    pub role: MemberRole,
    pub status: UserStatus,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationProfile {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub member_count: i32,
    pub active_member_count: i32,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<user_profiles::Model> for UserProfile {
    type Error = DbErr;

    fn try_from(row: user_profiles::Model) -> Result<Self, DbErr> {
        let corrupt = |column: &str, value: &str| {
            DbErr::Type(format!("user_profiles.{column} holds {value:?}"))
        };
        Ok(Self {
            role: MemberRole::from_stored(&row.role).ok_or_else(|| corrupt("role", &row.role))?,
            status: UserStatus::from_stored(&row.status)
                .ok_or_else(|| corrupt("status", &row.status))?,
            id: row.id,
            organization: OrganizationRef {
                id: row.organization_id,
                slug: row.organization_slug,
                name: row.organization_name,
            },
            email: row.email,
            name: row.name,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

impl From<organization_profiles::Model> for OrganizationProfile {
    fn from(row: organization_profiles::Model) -> Self {
        Self {
            id: row.id,
            slug: row.slug,
            name: row.name,
            member_count: row.member_count,
            active_member_count: row.active_member_count,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}
