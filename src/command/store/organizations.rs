//! The `organizations` table.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ConnectionTrait};

use super::StoredAggregate;
use crate::domain::{DomainEvent, Organization, OrganizationEvent};

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

impl From<Model> for Organization {
    fn from(row: Model) -> Self {
        Self {
            id: row.id,
            slug: row.slug,
            name: row.name,
            version: row.version,
        }
    }
}

impl StoredAggregate for Organization {
    type Event = OrganizationEvent;

    const KIND: &'static str = "organization";

    fn id(&self) -> Uuid {
        self.id
    }

    fn version(&self) -> i32 {
        self.version
    }

    fn apply(&mut self, event: &OrganizationEvent) {
        Organization::apply(self, event);
    }

    fn to_domain_event(&self, event: OrganizationEvent) -> DomainEvent {
        DomainEvent::Organization(event)
    }

    async fn load(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Self>, DbErr> {
        Ok(Entity::find_by_id(id)
            .one(db)
            .await?
            .map(Organization::from))
    }

    async fn insert(&self, db: &impl ConnectionTrait, at: DateTime<Utc>) -> Result<(), DbErr> {
        let row = ActiveModel {
            id: Set(self.id),
            slug: Set(self.slug.clone()),
            name: Set(self.name.clone()),
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
        let result = Entity::update_many()
            .col_expr(Column::Name, Expr::value(self.name.clone()))
            .col_expr(Column::Version, Expr::value(self.version))
            .col_expr(Column::UpdatedAt, Expr::value(at))
            .filter(Column::Id.eq(self.id))
            .filter(Column::Version.eq(expected))
            .exec(db)
            .await?;
        Ok(result.rows_affected == 1)
    }
}
