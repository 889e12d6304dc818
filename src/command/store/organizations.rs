//! The `organizations` table.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ConnectionTrait};

use super::{StoredAggregate, Versioned, save_if_unchanged};
use crate::domain::{DomainEvent, Name, Organization, OrganizationEvent, Slug};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub slug: String,
    pub name: String,
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

impl TryFrom<Model> for Organization {
    type Error = DbErr;

    fn try_from(row: Model) -> Result<Self, DbErr> {
        let corrupt = |error| DbErr::Type(format!("organizations row {}: {error}", row.id));
        Ok(Self {
            slug: Slug::parse(&row.slug).map_err(corrupt)?,
            name: Name::parse("name", &row.name).map_err(corrupt)?,
            id: row.id,
            version: row.version,
        })
    }
}

impl StoredAggregate for Organization {
    fn to_domain_event(&self, event: OrganizationEvent) -> DomainEvent {
        DomainEvent::Organization(event)
    }

    async fn load(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Self>, DbErr> {
        let row = Entity::find_by_id(id).one(db).await?;
        row.map(Organization::try_from).transpose()
    }

    async fn insert(&self, db: &impl ConnectionTrait, at: DateTime<Utc>) -> Result<(), DbErr> {
        let row = ActiveModel {
            id: Set(self.id),
            slug: Set(self.slug.to_string()),
            name: Set(self.name.to_string()),
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
        let changed = [(Column::Name, Expr::value(self.name.as_str()))];
        save_if_unchanged::<Entity>(db, &COLUMNS, self, expected, at, changed).await
    }
}
