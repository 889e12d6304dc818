//! The `users` table. Deleted users stay as tombstones (`deleted = true`) so that an id is
//! never handed out twice; their email is free again (the unique index covers live users).

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ConnectionTrait};

use super::{StoredAggregate, Versioned, save_if_unchanged};
use crate::domain::{
    DomainEvent, Email, MemberEvent, MemberRole, Name, User, UserEvent, UserStatus,
};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
    pub status: String,
    pub deleted: bool,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const COLUMNS: Versioned<Column> = Versioned {
    id: Column::Id,
    version: Column::Version,
    updated_at: Column::UpdatedAt,
};

impl TryFrom<Model> for User {
    type Error = DbErr;

    fn try_from(row: Model) -> Result<Self, DbErr> {
        let corrupt = |what: String| DbErr::Type(format!("users row {}: {what}", row.id));
        Ok(Self {
            role: MemberRole::from_stored(&row.role)
                .ok_or_else(|| corrupt(format!("role {:?}", row.role)))?,
            status: UserStatus::from_stored(&row.status)
                .ok_or_else(|| corrupt(format!("status {:?}", row.status)))?,
            email: Email::parse(&row.email).map_err(|error| corrupt(error.to_string()))?,
            name: Name::parse("name", &row.name).map_err(|error| corrupt(error.to_string()))?,
            id: row.id,
            organization_id: row.organization_id,
            deleted: row.deleted,
            version: row.version,
        })
    }
}

impl StoredAggregate for User {
    fn to_domain_event(&self, event: UserEvent) -> DomainEvent {
        DomainEvent::User(MemberEvent {
            organization_id: self.organization_id,
            event,
        })
    }

    async fn load(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Self>, DbErr> {
        let row = Entity::find_by_id(id)
            .filter(Column::Deleted.eq(false))
            .one(db)
            .await?;
        row.map(User::try_from).transpose()
    }

    async fn insert(&self, db: &impl ConnectionTrait, at: DateTime<Utc>) -> Result<(), DbErr> {
        let row = ActiveModel {
            id: Set(self.id),
            organization_id: Set(self.organization_id),
            email: Set(self.email.to_string()),
            name: Set(self.name.to_string()),
            role: Set(self.role.as_str().to_owned()),
            status: Set(self.status.as_str().to_owned()),
            deleted: Set(self.deleted),
            version: Set(self.version),
            created_at: Set(at),
            updated_at: Set(at),
        };
        Entity::insert(row).exec_without_returning(db).await?;
        Ok(())
    }

    async fn save(
        &self,
        db: &impl ConnectionTrait,
        expected: i32,
        at: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let changed = [
            (Column::Email, Expr::value(self.email.as_str())),
            (Column::Name, Expr::value(self.name.as_str())),
            (Column::Role, Expr::value(self.role.as_str())),
            (Column::Status, Expr::value(self.status.as_str())),
            (Column::Deleted, Expr::value(self.deleted)),
        ];
        save_if_unchanged::<Entity>(db, &COLUMNS, self, expected, at, changed).await
    }
}
