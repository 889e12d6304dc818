//! Reading organizations: by id, by slug, and as pages in creation order.

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Value};
use uuid::Uuid;

use super::pagination::{Ordering, Page, PageRequest, fetch_page};
use super::store::organization_profiles::{Column, Entity, Model};
use super::{OrganizationProfile, QueryError};

#[derive(Clone)]
pub struct OrganizationDirectory {
    db: DatabaseConnection,
}

impl OrganizationDirectory {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    pub async fn by_id(&self, id: Uuid) -> Result<Option<OrganizationProfile>, QueryError> {
        Ok(Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(OrganizationProfile::from))
    }

    pub async fn by_slug(&self, slug: &str) -> Result<Option<OrganizationProfile>, QueryError> {
        let row = Entity::find()
            .filter(Column::Slug.eq(slug))
            .one(&self.db)
            .await?;
        Ok(row.map(OrganizationProfile::from))
    }

    pub async fn list(&self, page: &PageRequest) -> Result<Page<OrganizationProfile>, QueryError> {
        let ordering = Ordering {
            name: "CREATED_AT_ASC",
            key: Column::CreatedAt,
            id: Column::Id,
            ascending: true,
        };
        fetch_page(
            &self.db,
            Entity::find(),
            &ordering,
            page,
            |row: &Model| {
                (
                    row.created_at.to_rfc3339_opts(SecondsFormat::Micros, true),
                    row.id,
                )
            },
            |text| {
                let at = DateTime::parse_from_rfc3339(text)
                    .map_err(|_| QueryError::invalid("after", "is not a cursor of this list"))?;
                Ok(Value::from(at.with_timezone(&Utc)))
            },
            |row| Ok(OrganizationProfile::from(row)),
        )
        .await
    }
}
