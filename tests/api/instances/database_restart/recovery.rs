//! Postgres back: when each instance served again and whether both name one leader; and,
//! once the load is over, each read side caught up and serving every acknowledged command,
//! and the event log holding every one of them.

use std::collections::BTreeMap;
use std::time::Duration;

use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::json;
use tokio::time::Instant;

use super::load::{Ack, Attempt, Kind, Node};
use super::{Findings, INSTANCES, RECOVERY};
use crate::support::text;

/// The instance both name as the projector's leader, when they agree on one of them (and
/// each names itself right); otherwise what they said.
pub(super) async fn leadership(nodes: &[Node]) -> Result<String, String> {
    let mut leaders = Vec::new();
    for (node, name) in nodes.iter().zip(INSTANCES) {
        let (_, body) = node
            .graphql(
                Kind::TableRead,
                "{ readModel { instance leader } }",
                json!({}),
                None,
            )
            .await;
        let status = &body["data"]["readModel"];
        if status["instance"] != name || !status["leader"].is_string() {
            return Err(format!("{name}: {body}"));
        }
        leaders.push(text(&status["leader"]));
    }
    if leaders.iter().all(|leader| *leader == leaders[0])
        && INSTANCES.contains(&leaders[0].as_str())
    {
        Ok(leaders[0].clone())
    } else {
        Err(format!("the instances name different leaders: {leaders:?}"))
    }
}

/// Waits until both instances name the same leader, for at most `within`.
pub(super) async fn await_leadership(nodes: &[Node], within: Duration) -> Result<String, String> {
    let start = Instant::now();
    loop {
        match leadership(nodes).await {
            Ok(leader) => return Ok(leader),
            Err(last) if start.elapsed() >= within => {
                return Err(format!("no agreed leader within {within:?}: {last}"));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Waits, for at most [`RECOVERY`], until `node`'s read side has applied everything
/// committed.
async fn settle(node: &Node) -> Result<(), String> {
    let start = Instant::now();
    loop {
        let (_, body) = node
            .graphql(
                Kind::TableRead,
                "{ readModel { position headPosition lagEvents } }",
                json!({}),
                None,
            )
            .await;
        let status = &body["data"]["readModel"];
        if status["lagEvents"] == 0
            && status["position"].is_string()
            && status["position"] == status["headPosition"]
        {
            return Ok(());
        }
        if start.elapsed() >= RECOVERY {
            return Err(format!(
                "{} never caught up with the log: {body}",
                INSTANCES[node.index]
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// When `instance` first served everything again after `up`: ready, a write acknowledged
/// and a page read from the read tables; `None` while it has not.
pub(super) fn recovered_at(
    attempts: &[Attempt],
    acks: &[Ack],
    up: Instant,
    instance: usize,
) -> Option<Instant> {
    let first = |kind: Kind| {
        attempts
            .iter()
            .filter(|attempt| attempt.instance == instance && attempt.kind == kind)
            .filter(|attempt| attempt.started >= up && attempt.succeeded())
            .map(Attempt::ended)
            .min()
    };
    let write = acks
        .iter()
        .filter(|ack| ack.instance == instance && ack.started >= up)
        .map(|ack| ack.ended)
        .min()?;
    [first(Kind::Readiness)?, first(Kind::TableRead)?, write]
        .into_iter()
        .max()
}

/// The last acknowledged command of each user.
fn last_acks(acks: &[Ack]) -> Vec<&Ack> {
    let mut last: BTreeMap<&str, &Ack> = BTreeMap::new();
    for ack in acks {
        let entry = last.entry(ack.user_id.as_str()).or_insert(ack);
        if ack.version > entry.version {
            *entry = ack;
        }
    }
    last.into_values().collect()
}

/// Each instance, once caught up with the log, serves every user at least at its last
/// acknowledged version (with that command's name when at it): under the command's
/// consistency token, and without one (the cache).
pub(super) async fn check_read_sides(nodes: &[Node], acks: &[Ack], findings: &mut Findings) {
    let last = last_acks(acks);
    for node in nodes {
        let name = INSTANCES[node.index];
        if let Err(error) = settle(node).await {
            findings.0.push(error);
        }
        for ack in &last {
            for token in [Some(ack.token.as_str()), None] {
                let (attempt, body) = node
                    .graphql(
                        Kind::CachedRead,
                        "query($id: ID!) { user(id: $id) { version name } }",
                        json!({ "id": ack.user_id }),
                        token,
                    )
                    .await;
                let user = &body["data"]["user"];
                let version = user["version"].as_i64().unwrap_or_default();
                findings.check(
                    attempt.succeeded()
                        && version >= ack.version
                        && (version > ack.version || user["name"] == ack.name.as_str()),
                    || {
                        format!(
                            "{name} serves {body} (token: {}) after acknowledging {ack:?}",
                            token.is_some()
                        )
                    },
                );
            }
        }
    }
}

/// The event log holds every acknowledged command: its user, version, event and name.
pub(super) async fn check_event_log(url: &str, acks: &[Ack], findings: &mut Findings) {
    let database = Database::connect(url)
        .await
        .expect("the event log's database");
    let rows = database
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT aggregate_id::text AS id, aggregate_version AS version, event_type,
                    payload->>'name' AS name
             FROM events WHERE aggregate_type = 'user'",
        ))
        .await
        .expect("the event log reads");
    let mut logged = BTreeMap::new();
    for row in rows {
        let id: String = row.try_get("", "id").expect("id");
        let version: i32 = row.try_get("", "version").expect("version");
        let event: String = row.try_get("", "event_type").expect("event_type");
        let name: Option<String> = row.try_get("", "name").expect("name");
        logged.insert((id, i64::from(version)), (event, name));
    }
    for ack in acks {
        let event = if ack.version == 1 {
            "UserCreated"
        } else {
            "UserRenamed"
        };
        let found = logged.get(&(ack.user_id.clone(), ack.version));
        findings.check(
            found == Some(&(event.to_owned(), Some(ack.name.clone()))),
            || format!("the event log has {found:?} for the acknowledged {ack:?}"),
        );
    }
}
