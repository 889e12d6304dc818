//! Relay cursor pagination over keyset queries: `ORDER BY key, id` with the cursor's
//! `(key, id)` as the bound, so a page costs the same wherever it is in the list.
//!
//! Pages default to 20 rows and may not exceed 100. Cursors are opaque to clients: base64 of
//! the list and ordering they belong to and the row's key. The list is part of it because
//! two lists may share an ordering's name (users and organizations both have
//! `CREATED_AT_ASC`): a cursor of one list is no cursor of the other.

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Order};
use sea_orm::{
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select, Value,
};
use uuid::Uuid;

mod cursor;

use self::cursor::Cursor;
use super::QueryError;

pub(super) const DEFAULT_PAGE_SIZE: i32 = 20;
pub(super) const MAX_PAGE_SIZE: i32 = 100;

/// The Relay arguments as a client sent them.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
    /// Whether to count the whole list too (a `COUNT` costs as much as the page or more:
    /// only when the client selected `totalCount`).
    pub with_total: bool,
}

/// A page of results, each with its cursor.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<(String, T)>,
    pub has_previous_page: bool,
    pub has_next_page: bool,
    /// The whole list's size, when it was asked for.
    pub total_count: Option<i64>,
}

/// A timestamp key as cursor text (microseconds, UTC), and back.
pub(super) fn timestamp_key(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(super) fn timestamp_value(text: &str) -> Option<Value> {
    let at = DateTime::parse_from_rfc3339(text).ok()?;
    Some(Value::from(at.with_timezone(&Utc)))
}

/// A sort order for a keyset page: the key column (ties broken by `id`) and direction.
pub(super) struct Ordering<C> {
    pub name: &'static str,
    pub key: C,
    pub id: C,
    pub ascending: bool,
}

/// A validated request: which way to walk, how many rows, from where.
#[derive(Debug)]
struct Window {
    backward: bool,
    size: i32,
    cursor: Option<Cursor>,
    /// The argument the cursor came in (`after` or `before`), for errors.
    cursor_field: &'static str,
}

/// The most rows a page asked for with `first` or `last` can hold: the page size given (none
/// when negative, at most the largest page), else the default.
pub fn rows_at_most(first: Option<i32>, last: Option<i32>) -> usize {
    let size = first.or(last).unwrap_or(DEFAULT_PAGE_SIZE);
    usize::try_from(size.clamp(0, MAX_PAGE_SIZE)).unwrap_or_default()
}

fn page_size(field: &'static str, size: Option<i32>) -> Result<Option<i32>, QueryError> {
    match size {
        Some(size) if size < 0 => Err(QueryError::invalid(field, "must not be negative")),
        Some(size) if size > MAX_PAGE_SIZE => Err(QueryError::invalid(
            field,
            format!("must be at most {MAX_PAGE_SIZE}"),
        )),
        other => Ok(other),
    }
}

impl PageRequest {
    fn window(&self, ordering: &str) -> Result<Window, QueryError> {
        let first = page_size("first", self.first)?;
        let last = page_size("last", self.last)?;
        if first.is_some() && last.is_some() {
            return Err(QueryError::invalid("last", "give first or last, not both"));
        }
        let after = self
            .after
            .as_deref()
            .map(|text| Cursor::decode("after", text, ordering))
            .transpose()?;
        let before = self
            .before
            .as_deref()
            .map(|text| Cursor::decode("before", text, ordering))
            .transpose()?;
        if after.is_some() && before.is_some() {
            return Err(QueryError::invalid(
                "before",
                "give after or before, not both",
            ));
        }
        let backward = last.is_some() || (before.is_some() && first.is_none());
        if backward && after.is_some() {
            return Err(QueryError::invalid(
                "after",
                "walking backward with last takes before, not after",
            ));
        }
        if !backward && before.is_some() {
            return Err(QueryError::invalid(
                "before",
                "walking forward with first takes after, not before",
            ));
        }
        Ok(Window {
            backward,
            size: first.or(last).unwrap_or(DEFAULT_PAGE_SIZE),
            cursor_field: if after.is_some() { "after" } else { "before" },
            cursor: after.or(before),
        })
    }
}

/// Fetches one page of `select` (already filtered) in `ordering`. `key_of` reads a row's
/// sort key as text and `key_value` turns cursor text back into a bindable value.
pub(super) async fn fetch_page<E, C, T>(
    db: &impl sea_orm::ConnectionTrait,
    select: Select<E>,
    ordering: &Ordering<C>,
    request: &PageRequest,
    key_of: impl Fn(&E::Model) -> (String, Uuid),
    key_value: impl Fn(&str) -> Option<Value>,
    into_item: impl Fn(E::Model) -> Result<T, QueryError>,
) -> Result<Page<T>, QueryError>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ColumnTrait + Copy,
{
    // The list (its table) and the ordering: what a cursor must belong to.
    let belongs_to = format!("{}:{}", E::default().table_name(), ordering.name);
    let window = request.window(&belongs_to)?;
    let total_count = match request.with_total {
        true => Some(select.clone().count(db).await? as i64),
        false => None,
    };

    // Walking backward reads the list in reverse, then flips the page.
    let ascending = ordering.ascending != window.backward;
    let mut query = select;
    if let Some(cursor) = &window.cursor {
        let key = key_value(&cursor.key).ok_or_else(|| {
            QueryError::invalid(window.cursor_field, "is not a cursor of this list")
        })?;
        let beyond = |column: C, value: Value| {
            if ascending {
                Expr::col(column).gt(value)
            } else {
                Expr::col(column).lt(value)
            }
        };
        query = query.filter(
            Condition::any().add(beyond(ordering.key, key.clone())).add(
                Condition::all()
                    .add(Expr::col(ordering.key).eq(key))
                    .add(beyond(ordering.id, cursor.id.into())),
            ),
        );
    }
    let order = if ascending { Order::Asc } else { Order::Desc };
    let mut rows = query
        .order_by(ordering.key, order.clone())
        .order_by(ordering.id, order)
        .limit(window.size as u64 + 1)
        .all(db)
        .await?;
    let has_more = rows.len() > window.size as usize;
    rows.truncate(window.size as usize);
    if window.backward {
        rows.reverse();
    }
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let (key, id) = key_of(&row);
        let cursor = Cursor {
            ordering: belongs_to.clone(),
            key,
            id,
        };
        items.push((cursor.encode(), into_item(row)?));
    }
    let came_from_a_cursor = window.cursor.is_some();
    let (has_previous_page, has_next_page) = if window.backward {
        (has_more, came_from_a_cursor)
    } else {
        (came_from_a_cursor, has_more)
    };
    Ok(Page {
        items,
        has_previous_page,
        has_next_page,
        total_count,
    })
}

#[cfg(test)]
mod tests;
