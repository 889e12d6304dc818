//! Relay connections over the read side's pages: `PageInfo`, edges and connections. A
//! connection's resolver counts the list only when `totalCount` is selected
//! ([`selects_total`]).

use std::sync::Arc;

use async_graphql::{Object, Result, SimpleObject};

use super::organization::Organization;
use super::parked_event::ParkedEvent;
use super::user::User;
use crate::query::{OrganizationProfile, Page, ParkedEvent as Parked, UserProfile};

#[derive(SimpleObject)]
pub(super) struct PageInfo {
    pub has_previous_page: bool,
    pub has_next_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

impl<T> From<&Page<T>> for PageInfo {
    fn from(page: &Page<T>) -> Self {
        Self {
            has_previous_page: page.has_previous_page,
            has_next_page: page.has_next_page,
            start_cursor: page.items.first().map(|(cursor, _)| cursor.clone()),
            end_cursor: page.items.last().map(|(cursor, _)| cursor.clone()),
        }
    }
}

/// Whether the connection being resolved has `totalCount` selected (directly, through an
/// alias or a fragment).
pub(in crate::graphql) fn selects_total(ctx: &async_graphql::Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

macro_rules! connection {
    ($connection:ident, $edge:ident, $node:ident, $value:ty) => {
        pub(crate) struct $edge {
            cursor: String,
            node: Arc<$value>,
        }

        #[Object]
        impl $edge {
            async fn cursor(&self) -> &str {
                &self.cursor
            }
            async fn node(&self) -> $node {
                $node(self.node.clone())
            }
        }

        pub(crate) struct $connection {
            page_info: PageInfo,
            /// Counted only when the query selected `totalCount`.
            total_count: Option<i64>,
            edges: Vec<$edge>,
        }

        impl From<Page<$value>> for $connection {
            fn from(page: Page<$value>) -> Self {
                Self {
                    page_info: PageInfo::from(&page),
                    total_count: page.total_count,
                    edges: page
                        .items
                        .into_iter()
                        .map(|(cursor, node)| $edge {
                            cursor,
                            node: Arc::new(node),
                        })
                        .collect(),
                }
            }
        }

        #[Object]
        impl $connection {
            async fn edges(&self) -> Vec<$edge> {
                self.edges
                    .iter()
                    .map(|edge| $edge {
                        cursor: edge.cursor.clone(),
                        node: edge.node.clone(),
                    })
                    .collect()
            }
            async fn nodes(&self) -> Vec<$node> {
                self.edges
                    .iter()
                    .map(|edge| $node(edge.node.clone()))
                    .collect()
            }
            async fn page_info(&self) -> &PageInfo {
                &self.page_info
            }
            async fn total_count(&self) -> Result<i32> {
                let count = self
                    .total_count
                    .ok_or("the list was fetched without its count")?;
                Ok(i32::try_from(count).unwrap_or(i32::MAX))
            }
        }
    };
}

connection!(UserConnection, UserEdge, User, UserProfile);
connection!(
    OrganizationConnection,
    OrganizationEdge,
    Organization,
    OrganizationProfile
);
connection!(ParkedEventConnection, ParkedEventEdge, ParkedEvent, Parked);
