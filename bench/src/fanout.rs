//! Subscriptions at scale: many `userChanged(userId:)` subscriptions over a few hundred
//! WebSocket connections, all on the same user; each round renames that user once and times,
//! for every subscription, the span from the mutation's reply to the event's arrival. Also
//! the server's memory per subscription (resident set before the sockets opened and after
//! they subscribed).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use serde_json::json;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use crate::gql;
use crate::load::Endpoint;
use crate::load::tally::histogram;
use crate::proc_stats;
use crate::ws::WsClient;

/// What the fan-out measured.
#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct FanoutResult {
    pub connections: usize,
    pub subscriptions: usize,
    pub rounds: usize,
    /// Events received in the measured rounds (subscriptions × rounds when none was lost).
    pub delivered: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// From the last subscribe message sent to the first change that reached them all.
    pub registered_s: f64,
    pub rss_before_mib: f64,
    pub rss_subscribed_mib: f64,
    pub kib_per_subscription: f64,
}

const RENAME: &str = "mutation($input: RenameUserInput!) { renameUser(input: $input) { version } }";

/// A fan-out to run.
pub(crate) struct Fanout<'a> {
    /// Where renames go (with an admin token).
    pub endpoint: &'a Endpoint,
    pub ws_url: &'a str,
    /// The server's process, whose memory is read.
    pub pid: u32,
    /// The user every subscription watches, and its current version.
    pub user: &'a str,
    pub version: i32,
    pub connections: usize,
    pub per_connection: usize,
    pub rounds: usize,
}

/// Runs the fan-out: subscribes, renames the user once per round, times every delivery.
pub(crate) async fn run(spec: Fanout<'_>) -> anyhow::Result<FanoutResult> {
    let Fanout {
        endpoint,
        ws_url,
        pid,
        user,
        mut version,
        connections,
        per_connection,
        rounds,
    } = spec;
    let pid_text = pid.to_string();
    let rss_before = proc_stats::memory(&pid_text)?.rss_kib;
    let received = Arc::new(AtomicU64::new(0));
    let current = Arc::new(AtomicUsize::new(0));
    let (stop, stopped) = watch::channel(false);
    let query = format!(
        "subscription {{ userChanged(userId: \"{user}\") {{ userId user {{ version }} }} }}"
    );
    let mut tasks = Vec::with_capacity(connections);
    for _ in 0..connections {
        let mut client = WsClient::connect(ws_url, None).await?;
        for id in 0..per_connection {
            client.subscribe(&id.to_string(), &query).await?;
        }
        tasks.push(tokio::spawn(listen(
            client,
            received.clone(),
            current.clone(),
            stopped.clone(),
        )));
    }
    let subscriptions = connections * per_connection;
    let rename = |version: i32, round: usize| json!({ "input": { "id": user, "expectedVersion": version, "name": format!("Fanout Round {round}") } });
    // The protocol does not acknowledge a subscription: rename (round 0, not counted) until
    // one change reaches every subscription, so all are registered before measuring.
    let registering = Instant::now();
    let warmup_deadline = registering + Duration::from_secs(120);
    loop {
        let before = received.load(Ordering::Relaxed);
        let data = gql::request(endpoint, RENAME, rename(version, 0)).await?;
        version = next_version(&data)?;
        let settled = Instant::now() + Duration::from_secs(3);
        while received.load(Ordering::Relaxed) - before < subscriptions as u64
            && Instant::now() < settled
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if received.load(Ordering::Relaxed) - before >= subscriptions as u64 {
            break;
        }
        if Instant::now() > warmup_deadline {
            bail!(
                "only {} of {subscriptions} subscriptions got a change within 2 minutes",
                received.load(Ordering::Relaxed) - before
            );
        }
    }
    let registered_s = registering.elapsed().as_secs_f64();
    let rss_subscribed = proc_stats::memory(&pid_text)?.rss_kib;
    let mut replies = vec![Instant::now()];
    for round in 1..=rounds {
        tokio::time::sleep(Duration::from_millis(200)).await;
        current.store(round, Ordering::Relaxed);
        let before = received.load(Ordering::Relaxed);
        let data = gql::request(endpoint, RENAME, rename(version, round)).await?;
        replies.push(Instant::now());
        version = next_version(&data)?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while received.load(Ordering::Relaxed) - before < subscriptions as u64 {
            if Instant::now() > deadline {
                bail!(
                    "round {round}: {} of {subscriptions} events after 30 s",
                    received.load(Ordering::Relaxed) - before
                );
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = stop.send(true);
    let mut latency = histogram()?;
    let mut delivered = 0;
    for task in tasks {
        for (round, at) in task.await?? {
            if round == 0 {
                continue;
            }
            if let Some(reply) = replies.get(round) {
                delivered += 1;
                let lag = at.saturating_duration_since(*reply);
                latency.saturating_record(lag.as_micros().try_into().unwrap_or(u64::MAX));
            }
        }
    }
    let ms = |micros: u64| micros as f64 / 1000.0;
    Ok(FanoutResult {
        connections,
        subscriptions,
        rounds,
        delivered,
        p50_ms: ms(latency.value_at_quantile(0.5)),
        p99_ms: ms(latency.value_at_quantile(0.99)),
        max_ms: ms(latency.max()),
        registered_s,
        rss_before_mib: rss_before as f64 / 1024.0,
        rss_subscribed_mib: rss_subscribed as f64 / 1024.0,
        kib_per_subscription: rss_subscribed.saturating_sub(rss_before) as f64
            / subscriptions.max(1) as f64,
    })
}

/// The version a rename answered.
fn next_version(data: &serde_json::Value) -> anyhow::Result<i32> {
    Ok(data["renameUser"]["version"]
        .as_i64()
        .context("renameUser answered no version")? as i32)
}

/// Collects the round and arrival time of every `next` message on one socket (without parsing it:
/// ten thousand parses per change would slow the measuring side), answering pings.
async fn listen(
    client: WsClient,
    received: Arc<AtomicU64>,
    round: Arc<AtomicUsize>,
    mut stopped: watch::Receiver<bool>,
) -> anyhow::Result<Vec<(usize, Instant)>> {
    let mut socket = client.into_socket();
    let mut receipts = Vec::new();
    loop {
        tokio::select! {
            _ = stopped.changed() => break,
            message = socket.next() => {
                let Some(message) = message else { break };
                let now = Instant::now();
                if let Message::Text(text) = message? {
                    if text.contains("\"next\"") {
                        receipts.push((round.load(Ordering::Relaxed), now));
                        received.fetch_add(1, Ordering::Relaxed);
                    } else if text.contains("\"ping\"") {
                        socket.send(Message::text(json!({ "type": "pong" }).to_string())).await?;
                    }
                }
            }
        }
    }
    Ok(receipts)
}
