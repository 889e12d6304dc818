//! One-off GraphQL requests the benchmark itself needs (not load): every user id and
//! version, every organization id, the read model's lag, and waiting for the projector to
//! catch up.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use serde::Serialize;
use serde_json::{Value, json};

use crate::load::Endpoint;
use crate::load::conn::Conn;

/// Runs one operation; its `errors` make it fail.
pub(crate) async fn request(
    endpoint: &Endpoint,
    query: &str,
    variables: Value,
) -> anyhow::Result<Value> {
    let mut conn = Conn::to(endpoint).await?;
    let body = json!({ "query": query, "variables": variables }).to_string();
    let (status, body) = conn.post(Bytes::from(body)).await?;
    let answer: Value = serde_json::from_slice(&body)
        .with_context(|| format!("a {status} answer that is not JSON"))?;
    if status != 200 || !answer["errors"].is_null() {
        bail!("{query}: {status} {answer}");
    }
    Ok(answer["data"].clone())
}

/// Every user's id and version (read side), paging by creation time.
pub(crate) async fn all_users(endpoint: &Endpoint) -> anyhow::Result<Vec<(String, i32)>> {
    const PAGE: &str = "query($after: String) { users(first: 100, after: $after, orderBy: CREATED_AT_ASC) { nodes { id version } pageInfo { hasNextPage endCursor } } }";
    let mut users = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = request(endpoint, PAGE, json!({ "after": after })).await?;
        let page = &data["users"];
        for node in page["nodes"].as_array().context("users has no nodes")? {
            let id = node["id"].as_str().context("a user without id")?;
            let version = node["version"].as_i64().context("a user without version")?;
            users.push((id.to_owned(), version as i32));
        }
        if page["pageInfo"]["hasNextPage"] != true {
            return Ok(users);
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

/// Every organization's id.
pub(crate) async fn all_organizations(endpoint: &Endpoint) -> anyhow::Result<Vec<String>> {
    const PAGE: &str = "query($after: String) { organizations(first: 100, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }";
    let mut organizations = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = request(endpoint, PAGE, json!({ "after": after })).await?;
        let page = &data["organizations"];
        for node in page["nodes"]
            .as_array()
            .context("organizations has no nodes")?
        {
            organizations.push(
                node["id"]
                    .as_str()
                    .context("an organization without id")?
                    .to_owned(),
            );
        }
        if page["pageInfo"]["hasNextPage"] != true {
            return Ok(organizations);
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

/// Events committed on the command side and not yet applied to the read side.
pub(crate) async fn lag_events(endpoint: &Endpoint) -> anyhow::Result<i64> {
    let data = request(endpoint, "{ readModel { lagEvents } }", Value::Null).await?;
    data["readModel"]["lagEvents"]
        .as_i64()
        .context("readModel has no lagEvents")
}

/// How a projector worked off a backlog.
#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct CatchUp {
    /// The backlog when first asked.
    pub events: i64,
    pub seconds: f64,
    pub events_per_second: Option<f64>,
}

/// Polls `readModel` until the read side has applied everything, for at most `timeout`.
pub(crate) async fn wait_caught_up(
    endpoint: &Endpoint,
    timeout: Duration,
) -> anyhow::Result<CatchUp> {
    let started = Instant::now();
    let events = lag_events(endpoint).await?;
    loop {
        let lag = lag_events(endpoint).await?;
        if lag == 0 {
            break;
        }
        if started.elapsed() > timeout {
            bail!("the read side still trails by {lag} events after {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(CatchUp {
        events,
        seconds,
        events_per_second: (events > 0 && seconds > 0.0).then(|| events as f64 / seconds),
    })
}
