//! The ceiling server: the least a `user(id)` server on this stack can do — async-graphql 7
//! on axum 0.8, answering from a moka cache filled from `user_profiles` before it listens,
//! with the same `User` shape as rosterql. It runs as its own process
//! (`rosterql-bench ceiling`), so its CPU time and memory are measured like rosterql's.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use async_graphql::{
    Context, EmptyMutation, EmptySubscription, Enum, ID, Object, Schema, SimpleObject,
};
use async_graphql_axum::GraphQL;
use axum::Router;
use axum::routing::get;
use chrono::{DateTime, Utc};
use moka::future::Cache;
use tokio_postgres::NoTls;
use uuid::Uuid;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
enum MemberRole {
    Owner,
    Admin,
    Member,
    Guest,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
enum UserStatus {
    Active,
    Suspended,
}

struct Profile {
    id: Uuid,
    email: String,
    name: String,
    role: MemberRole,
    status: UserStatus,
    organization_id: Uuid,
    organization_slug: String,
    organization_name: String,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(SimpleObject)]
struct OrganizationRef {
    id: ID,
    slug: String,
    name: String,
}

struct User(Arc<Profile>);

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn role(&self) -> MemberRole {
        self.0.role
    }
    async fn status(&self) -> UserStatus {
        self.0.status
    }
    async fn organization(&self) -> OrganizationRef {
        OrganizationRef {
            id: ID(self.0.organization_id.to_string()),
            slug: self.0.organization_slug.clone(),
            name: self.0.organization_name.clone(),
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

type Profiles = Cache<Uuid, Arc<Profile>>;

struct Query;

#[Object]
impl Query {
    async fn user(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<User>> {
        let id = Uuid::parse_str(&id)?;
        let profiles = ctx.data::<Profiles>()?;
        Ok(profiles.get(&id).await.map(User))
    }
}

fn role(text: &str) -> anyhow::Result<MemberRole> {
    Ok(match text {
        "OWNER" => MemberRole::Owner,
        "ADMIN" => MemberRole::Admin,
        "MEMBER" => MemberRole::Member,
        "GUEST" => MemberRole::Guest,
        other => bail!("unknown role {other:?}"),
    })
}

fn status(text: &str) -> anyhow::Result<UserStatus> {
    Ok(match text {
        "ACTIVE" => UserStatus::Active,
        "SUSPENDED" => UserStatus::Suspended,
        other => bail!("unknown status {other:?}"),
    })
}

async fn load(database_url: &str) -> anyhow::Result<Profiles> {
    let (client, connection) = tokio_postgres::connect(database_url, NoTls)
        .await
        .with_context(|| format!("connecting to {database_url}"))?;
    tokio::spawn(connection);
    let rows = client
        .query(
            "SELECT id, email, name, role, status, organization_id, organization_slug,
                    organization_name, version, created_at, updated_at
             FROM user_profiles",
            &[],
        )
        .await
        .context("reading user_profiles")?;
    let profiles: Profiles = Cache::new(rows.len().max(100_000) as u64);
    for row in rows {
        let profile = Profile {
            id: row.try_get(0)?,
            email: row.try_get(1)?,
            name: row.try_get(2)?,
            role: role(row.try_get(3)?)?,
            status: status(row.try_get(4)?)?,
            organization_id: row.try_get(5)?,
            organization_slug: row.try_get(6)?,
            organization_name: row.try_get(7)?,
            version: row.try_get(8)?,
            created_at: row.try_get(9)?,
            updated_at: row.try_get(10)?,
        };
        profiles.insert(profile.id, Arc::new(profile)).await;
    }
    profiles.run_pending_tasks().await;
    Ok(profiles)
}

/// Fills the cache from `database_url`, then serves `POST /graphql` and `GET /healthz`.
pub(crate) async fn serve(database_url: &str, bind: SocketAddr) -> anyhow::Result<()> {
    let profiles = load(database_url).await?;
    eprintln!("ceiling: {} profiles cached", profiles.entry_count());
    let schema = Schema::build(Query, EmptyMutation, EmptySubscription)
        .data(profiles)
        .finish();
    let app = Router::new()
        .route_service("/graphql", GraphQL::new(schema))
        .route("/healthz", get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("binding {bind}"))?;
    axum::serve(listener, app).await?;
    Ok(())
}
