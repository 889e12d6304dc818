//! The schema's object, enum and input types, over the read side's values.

use std::sync::Arc;

use async_graphql::{
    ComplexObject, Context, Enum, ID, InputObject, Object, Result, ResultExt, SimpleObject,
};
use chrono::{DateTime, Utc};

use super::Services;
use super::error::{ErrorCode, client_error};
use super::guard::caller;
use crate::command::CommandOutcome;
use crate::domain;
use crate::event_log::Position;
use crate::query::{self, OrganizationProfile, Page, ReadModelStatus as Status, UserProfile};

macro_rules! mirror_enum {
    ($(#[$meta:meta])* $name:ident = $domain:path { $($variant:ident),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($variant),* }

        impl From<$name> for $domain {
            fn from(value: $name) -> Self {
                match value { $($name::$variant => Self::$variant),* }
            }
        }

        impl From<$domain> for $name {
            fn from(value: $domain) -> Self {
                match value { $(<$domain>::$variant => Self::$variant),* }
            }
        }
    };
}

mirror_enum!(
    /// A user's role in its organization (not the caller's token role).
    MemberRole = domain::MemberRole { Owner, Admin, Member, Guest }
);
mirror_enum!(UserStatus = domain::UserStatus { Active, Suspended });
mirror_enum!(
    ChangeKind = query::ChangeKind {
        Created,
        Updated,
        Deleted
    }
);

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserOrder {
    #[default]
    NameAsc,
    NameDesc,
    CreatedAtAsc,
    CreatedAtDesc,
}

impl From<UserOrder> for query::UserOrder {
    fn from(order: UserOrder) -> Self {
        match order {
            UserOrder::NameAsc => Self::NameAsc,
            UserOrder::NameDesc => Self::NameDesc,
            UserOrder::CreatedAtAsc => Self::CreatedAtAsc,
            UserOrder::CreatedAtDesc => Self::CreatedAtDesc,
        }
    }
}

#[derive(InputObject, Debug, Clone, Default)]
pub struct UserFilter {
    pub status: Option<UserStatus>,
    pub role: Option<MemberRole>,
    /// Case-insensitive substring of the name (and of the email, for admins).
    pub search: Option<String>,
}

pub struct Organization(pub Arc<OrganizationProfile>);

#[Object]
impl Organization {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Users not deleted.
    async fn member_count(&self) -> i32 {
        self.0.member_count
    }
    /// Users with status ACTIVE.
    async fn active_member_count(&self) -> i32 {
        self.0.active_member_count
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(SimpleObject)]
pub struct OrganizationRef {
    pub id: ID,
    pub slug: String,
    pub name: String,
}

pub struct User(pub Arc<UserProfile>);

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Admins only: others get null and a FORBIDDEN error at this path.
    async fn email(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        if caller(ctx).is_admin() {
            Ok(Some(&self.0.email))
        } else {
            Err(client_error(
                ErrorCode::Forbidden,
                "only admins may read emails",
            ))
        }
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn role(&self) -> MemberRole {
        self.0.role.into()
    }
    async fn status(&self) -> UserStatus {
        self.0.status.into()
    }
    /// The user's organization, stored flat on the user's read row.
    async fn organization(&self) -> OrganizationRef {
        let organization = &self.0.organization;
        OrganizationRef {
            id: ID(organization.id.to_string()),
            slug: organization.slug.clone(),
            name: organization.name.clone(),
        }
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(SimpleObject)]
pub struct PageInfo {
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

macro_rules! connection {
    ($connection:ident, $edge:ident, $node:ident, $value:ty) => {
        pub struct $edge {
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

        pub struct $connection {
            page_info: PageInfo,
            total_count: i64,
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
            async fn total_count(&self) -> i32 {
                i32::try_from(self.total_count).unwrap_or(i32::MAX)
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

#[derive(SimpleObject)]
pub struct ReadModelStatus {
    /// The last event applied to the read side.
    pub position: String,
    /// The last event committed on the command side.
    pub head_position: String,
    pub lag_events: i32,
    /// Age of the oldest event not yet applied; 0 when caught up.
    pub lag_seconds: f64,
    /// Events the projector could not apply and set aside.
    pub parked_events: i32,
}

impl From<Status> for ReadModelStatus {
    fn from(status: Status) -> Self {
        Self {
            position: status.position.to_string(),
            head_position: status.head_position.to_string(),
            lag_events: i32::try_from(status.lag_events).unwrap_or(i32::MAX),
            lag_seconds: status.lag_seconds,
            parked_events: i32::try_from(status.parked_events).unwrap_or(i32::MAX),
        }
    }
}

/// Waits until the read side has applied `position` (the payload's consistency token).
async fn read_side_at<'a>(ctx: &Context<'a>, position: Position) -> Result<&'a Services> {
    let services = ctx.data::<Services>()?;
    services
        .progress
        .wait_for(position, services.consistency_timeout)
        .await
        .extend()?;
    Ok(services)
}

/// What every mutation payload reports: the aggregate's new version and the token that
/// reads can wait for.
#[derive(SimpleObject)]
pub struct Accepted {
    pub version: i32,
    pub consistency_token: String,
}

impl From<&CommandOutcome> for Accepted {
    fn from(outcome: &CommandOutcome) -> Self {
        Self {
            version: outcome.version,
            consistency_token: outcome.position.to_string(),
        }
    }
}

fn aggregate_id(outcome: &CommandOutcome) -> ID {
    ID(outcome.aggregate_id.to_string())
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct OrganizationPayload {
    pub organization_id: ID,
    #[graphql(flatten)]
    pub accepted: Accepted,
    #[graphql(skip)]
    pub outcome: CommandOutcome,
}

#[ComplexObject]
impl OrganizationPayload {
    /// The read side's organization, once the projector has applied this change.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        let services = read_side_at(ctx, self.outcome.position).await?;
        let found = services
            .organizations
            .by_id(self.outcome.aggregate_id)
            .await
            .extend()?;
        Ok(found.map(|profile| Organization(Arc::new(profile))))
    }
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct UserPayload {
    pub user_id: ID,
    #[graphql(flatten)]
    pub accepted: Accepted,
    #[graphql(skip)]
    pub outcome: CommandOutcome,
}

#[ComplexObject]
impl UserPayload {
    /// The read side's user, once the projector has applied this change.
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let services = read_side_at(ctx, self.outcome.position).await?;
        Ok(services
            .users
            .by_id(self.outcome.aggregate_id)
            .await
            .extend()?
            .map(User))
    }
}

#[derive(SimpleObject)]
pub struct DeleteUserPayload {
    pub user_id: ID,
    #[graphql(flatten)]
    pub accepted: Accepted,
}

impl From<CommandOutcome> for OrganizationPayload {
    fn from(outcome: CommandOutcome) -> Self {
        let (organization_id, accepted) = (aggregate_id(&outcome), Accepted::from(&outcome));
        Self {
            organization_id,
            accepted,
            outcome,
        }
    }
}

impl From<CommandOutcome> for UserPayload {
    fn from(outcome: CommandOutcome) -> Self {
        let (user_id, accepted) = (aggregate_id(&outcome), Accepted::from(&outcome));
        Self {
            user_id,
            accepted,
            outcome,
        }
    }
}

impl From<CommandOutcome> for DeleteUserPayload {
    fn from(outcome: CommandOutcome) -> Self {
        let (user_id, accepted) = (aggregate_id(&outcome), Accepted::from(&outcome));
        Self { user_id, accepted }
    }
}

#[derive(SimpleObject)]
pub struct UserChange {
    pub kind: ChangeKind,
    pub user_id: ID,
    pub organization_id: ID,
    /// The domain event's name, e.g. "UserRenamed".
    pub event: String,
    pub position: String,
    /// The read-side state after this change; null for DELETED.
    pub user: Option<User>,
}

#[derive(SimpleObject)]
pub struct OrganizationChange {
    pub kind: ChangeKind,
    pub organization_id: ID,
    pub event: String,
    pub position: String,
    pub organization: Option<Organization>,
}
