//! Reading organizations: by id, by slug, and as pages in creation order.

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::error::printable;
use super::pagination::{Ordering, Page, PageRequest, fetch_page, timestamp_key, timestamp_value};
use super::store::organization_profiles::{Column, Entity, Model};
use super::store::rows_with_ids;
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

    /// The organizations of `ids` that exist (one query).
    pub async fn by_ids(
        &self,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Arc<OrganizationProfile>>, QueryError> {
        let rows = rows_with_ids::<Entity>(&self.db, Column::Id, ids).await?;
        Ok(rows
            .into_iter()
            .map(|row| (row.id, Arc::new(OrganizationProfile::from(row))))
            .collect())
    }

    pub async fn by_slug(&self, slug: &str) -> Result<Option<OrganizationProfile>, QueryError> {
        printable("slug", slug)?;
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
            |row: &Model| (timestamp_key(&row.created_at), row.id),
            timestamp_value,
            |row| Ok(OrganizationProfile::from(row)),
        )
        .await
    }
}
