//! Reading users: by id (through the cache), by email, and as filtered, ordered pages.

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::sea_query::{Condition, Expr, ExprTrait, LikeExpr};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, IdenStatic, QueryFilter, Value,
};
use tokio::sync::watch;
use uuid::Uuid;

use super::error::printable;
use super::pagination::{Ordering, Page, PageRequest, fetch_page, timestamp_key, timestamp_value};
use super::store::rows_with_ids;
use super::store::user_profiles::{Column, Entity, Model};
use super::{QueryError, UserCache, UserProfile};

/// The longest search: an email's longest (nothing longer can be a substring of one).
const SEARCH_MAX_CHARS: usize = 254;
use crate::domain::{MemberRole, UserStatus};
use crate::event_log::Position;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserOrder {
    #[default]
    NameAsc,
    NameDesc,
    CreatedAtAsc,
    CreatedAtDesc,
}

/// Which users a list shows.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    pub organization_id: Option<Uuid>,
    pub status: Option<UserStatus>,
    pub role: Option<MemberRole>,
    /// Case-insensitive substring of the name, and of the email when `search_email`.
    pub search: Option<String>,
    pub search_email: bool,
    pub order: UserOrder,
}

#[derive(Clone)]
pub struct UserDirectory {
    db: DatabaseConnection,
    cache: Arc<UserCache>,
    /// The position this instance has applied: what a row read now reflects at least.
    applied: watch::Receiver<Position>,
}

impl UserDirectory {
    pub fn new(
        db: DatabaseConnection,
        cache: Arc<UserCache>,
        applied: watch::Receiver<Position>,
    ) -> Self {
        Self { db, cache, applied }
    }

    /// The user as of `at_least` or later (a consistency token's position, or the origin).
    pub async fn by_id(
        &self,
        id: Uuid,
        at_least: Position,
    ) -> Result<Option<Arc<UserProfile>>, QueryError> {
        if let Some(profile) = self.cache.get(id, at_least).await {
            return Ok(Some(profile));
        }
        let generation = self.cache.generation();
        let built_at = *self.applied.borrow();
        let Some(row) = Entity::find_by_id(id).one(&self.db).await? else {
            return Ok(None);
        };
        let profile = Arc::new(UserProfile::try_from(row)?);
        self.cache.fill(profile.clone(), generation, built_at).await;
        Ok(Some(profile))
    }

    /// The users of `ids` that exist, as the read tables hold them now (one query; the
    /// cache is neither read nor filled).
    pub async fn by_ids(
        &self,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Arc<UserProfile>>, QueryError> {
        let rows = rows_with_ids::<Entity>(&self.db, Column::Id, ids).await?;
        rows.into_iter()
            .map(|row| Ok((row.id, Arc::new(UserProfile::try_from(row)?))))
            .collect()
    }

    /// `email` is matched as stored: trimmed and lower-cased.
    pub async fn by_email(&self, email: &str) -> Result<Option<UserProfile>, QueryError> {
        let email = email.trim().to_lowercase();
        printable("email", &email)?;
        let row = Entity::find()
            .filter(Column::Email.eq(email))
            .one(&self.db)
            .await?;
        Ok(row.map(UserProfile::try_from).transpose()?)
    }

    pub async fn list(
        &self,
        query: &UserQuery,
        page: &PageRequest,
    ) -> Result<Page<UserProfile>, QueryError> {
        let mut select = Entity::find();
        if let Some(organization_id) = query.organization_id {
            select = select.filter(Column::OrganizationId.eq(organization_id));
        }
        if let Some(status) = query.status {
            select = select.filter(Column::Status.eq(status.as_str()));
        }
        if let Some(role) = query.role {
            select = select.filter(Column::Role.eq(role.as_str()));
        }
        if let Some(search) = query
            .search
            .as_deref()
            .map(str::trim)
            .filter(|text| !text.is_empty())
        {
            searchable(search)?;
            let backend = self.db.get_database_backend();
            select = select.filter(search_condition(backend, search, query.search_email));
        }
        let (name, key, ascending) = match query.order {
            UserOrder::NameAsc => ("NAME_ASC", Column::NameFolded, true),
            UserOrder::NameDesc => ("NAME_DESC", Column::NameFolded, false),
            UserOrder::CreatedAtAsc => ("CREATED_AT_ASC", Column::CreatedAt, true),
            UserOrder::CreatedAtDesc => ("CREATED_AT_DESC", Column::CreatedAt, false),
        };
        let by_name = matches!(key, Column::NameFolded);
        let ordering = Ordering {
            name,
            key,
            id: Column::Id,
            ascending,
        };
        fetch_page(
            &self.db,
            select,
            &ordering,
            page,
            |row: &Model| {
                let key = if by_name {
                    row.name_folded.clone()
                } else {
                    timestamp_key(&row.created_at)
                };
                (key, row.id)
            },
            |text| {
                if by_name {
                    Some(Value::from(text.to_owned()))
                } else {
                    timestamp_value(text)
                }
            },
            |row| Ok(UserProfile::try_from(row)?),
        )
        .await
    }
}

/// Refuses a search no name or email could hold: with a control character, or longer than
/// the longest email.
fn searchable(search: &str) -> Result<(), QueryError> {
    printable("search", search)?;
    if search.chars().count() > SEARCH_MAX_CHARS {
        return Err(QueryError::invalid(
            "search",
            format!("must be at most {SEARCH_MAX_CHARS} characters"),
        ));
    }
    Ok(())
}

/// Users whose folded name (or email, with `email`) holds `search`. Postgres answers the
/// LIKE from its trigram indexes; SQLite from the FTS5 trigram table.
fn search_condition(backend: DbBackend, search: &str, email: bool) -> Condition {
    let folded = search.to_lowercase();
    let escaped = escape_like(&folded);
    // An ESCAPE clause keeps SQLite's FTS5 from using its index: only add one when needed.
    let needs_escape = escaped != folded;
    let pattern = format!("%{escaped}%");
    let columns: &[Column] = if email {
        &[Column::NameFolded, Column::Email]
    } else {
        &[Column::NameFolded]
    };
    match backend {
        DbBackend::Sqlite => {
            let escape = if needs_escape { " ESCAPE '\\'" } else { "" };
            let lookups: Vec<String> = columns
                .iter()
                .map(|column| {
                    let column = column.as_str();
                    format!("SELECT rowid FROM user_profiles_search WHERE {column} LIKE ?{escape}")
                })
                .collect();
            let sql = format!(
                "user_profiles.search_rowid IN ({})",
                lookups.join(" UNION ")
            );
            let values = columns.iter().map(|_| Value::from(pattern.clone()));
            Condition::all().add(Expr::cust_with_values(sql, values))
        }
        _ => columns.iter().fold(Condition::any(), |matches, column| {
            let like = LikeExpr::new(pattern.clone());
            let like = if needs_escape {
                like.escape('\\')
            } else {
                like
            };
            matches.add(Expr::col(*column).like(like))
        }),
    }
}

/// Makes `%`, `_` and `\` match themselves in a LIKE pattern escaped by `\`.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        if matches!(character, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like(r"50%_off\"), r"50\%\_off\\");
    }
}
