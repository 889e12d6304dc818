//! Projection lag, measured from outside: for every write the time from its reply (the
//! mutation's answer arrived) to the matching `userChanged` event on a WebSocket
//! subscription (same user id, same version). The subscriber runs on a thread and runtime of
//! its own, so a busy load generator does not delay the moment an event is seen.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use tokio::sync::oneshot;

use crate::load::tally::histogram;
use crate::ws::WsClient;

#[derive(Default, Clone, Copy)]
struct Entry {
    reply: Option<Instant>,
    event: Option<Instant>,
}

/// Replies and events, matched by (user id, version).
pub(crate) struct LagBook {
    start: Mutex<Instant>,
    entries: Mutex<HashMap<(String, i32), Entry>>,
}

impl LagBook {
    pub(crate) fn new() -> Self {
        Self {
            start: Mutex::new(Instant::now()),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Only writes answered from `start` on are counted (the warm-up's are not).
    pub(crate) fn count_from(&self, start: Instant) {
        if let Ok(mut current) = self.start.lock() {
            *current = start;
        }
    }

    fn start(&self) -> Instant {
        self.start
            .lock()
            .map(|start| *start)
            .unwrap_or_else(|_| Instant::now())
    }

    fn with_entry(&self, user: &str, version: i32, update: impl FnOnce(&mut Entry)) {
        if let Ok(mut entries) = self.entries.lock() {
            update(entries.entry((user.to_owned(), version)).or_default());
        }
    }

    pub(crate) fn replied(&self, user: &str, version: i32) {
        let now = Instant::now();
        self.with_entry(user, version, |entry| entry.reply = Some(now));
    }

    pub(crate) fn observed(&self, user: &str, version: i32) {
        let now = Instant::now();
        self.with_entry(user, version, |entry| {
            entry.event.get_or_insert(now);
        });
    }

    /// Writes replied to whose event has not been seen yet.
    pub(crate) fn pending(&self) -> usize {
        self.entries
            .lock()
            .map(|entries| {
                entries
                    .values()
                    .filter(|entry| entry.reply.is_some() && entry.event.is_none())
                    .count()
            })
            .unwrap_or(0)
    }

    /// Waits until every replied write's event was seen, for at most `timeout`; answers
    /// how many were pending when asked and how long they took.
    pub(crate) async fn drain(&self, timeout: Duration) -> Drain {
        let started = Instant::now();
        let backlog = self.pending();
        while self.pending() > 0 && started.elapsed() < timeout {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let seconds = started.elapsed().as_secs_f64();
        Drain {
            backlog_at_stop: backlog,
            seconds,
            left: self.pending(),
            events_per_second: if backlog > 0 && seconds > 0.0 {
                Some(backlog as f64 / seconds)
            } else {
                None
            },
        }
    }

    pub(crate) fn summary(&self) -> anyhow::Result<LagSummary> {
        let start = self.start();
        let entries = self
            .entries
            .lock()
            .map_err(|_| anyhow::anyhow!("the lag book's lock was poisoned"))?;
        let mut latency = histogram()?;
        let mut series: Vec<(f64, f64)> = Vec::new();
        let mut summary = LagSummary::default();
        for entry in entries.values() {
            if entry.reply.is_some_and(|reply| reply < start) {
                continue;
            }
            match (entry.reply, entry.event) {
                (Some(reply), Some(event)) => {
                    summary.matched += 1;
                    let lag = event.saturating_duration_since(reply);
                    if event < reply {
                        summary.event_before_reply += 1;
                    }
                    latency.saturating_record(lag.as_micros().try_into().unwrap_or(u64::MAX));
                    let at = reply.saturating_duration_since(start).as_secs_f64();
                    series.push((at, lag.as_secs_f64() * 1000.0));
                }
                (Some(_), None) => summary.missing += 1,
                (None, Some(_)) => summary.unmatched_events += 1,
                (None, None) => {}
            }
        }
        if !latency.is_empty() {
            let ms = |micros: u64| micros as f64 / 1000.0;
            summary.p50_ms = ms(latency.value_at_quantile(0.5));
            summary.p99_ms = ms(latency.value_at_quantile(0.99));
            summary.max_ms = ms(latency.max());
        }
        summary.growth = Growth::of(&mut series);
        Ok(summary)
    }
}

/// Lag over a run.
#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct LagSummary {
    /// Writes whose event was seen.
    pub matched: u64,
    /// Writes replied to whose event never came (within the drain timeout).
    pub missing: u64,
    /// Events seen before the mutation's reply (their lag counts as 0).
    pub event_before_reply: u64,
    /// Events of writes this run did not make or did not hear back from.
    pub unmatched_events: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub growth: Growth,
}

/// Does the lag grow over the run? Lag of the writes replied to in the first and in the
/// last fifth of the run, and the least-squares slope of lag against time.
#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct Growth {
    pub first_fifth_p50_ms: f64,
    pub last_fifth_p50_ms: f64,
    pub first_fifth_max_ms: f64,
    pub last_fifth_max_ms: f64,
    /// Milliseconds of lag gained per second of run (0 when the lag stays flat).
    pub slope_ms_per_s: f64,
}

impl Growth {
    fn of(series: &mut [(f64, f64)]) -> Self {
        if series.len() < 10 {
            return Self::default();
        }
        series.sort_by(|a, b| a.0.total_cmp(&b.0));
        let fifth = series.len() / 5;
        let median = |part: &[(f64, f64)]| {
            let mut lags: Vec<f64> = part.iter().map(|(_, lag)| *lag).collect();
            lags.sort_by(f64::total_cmp);
            lags[lags.len() / 2]
        };
        let max = |part: &[(f64, f64)]| part.iter().map(|(_, lag)| *lag).fold(0.0, f64::max);
        let n = series.len() as f64;
        let mean_t = series.iter().map(|(t, _)| t).sum::<f64>() / n;
        let mean_l = series.iter().map(|(_, l)| l).sum::<f64>() / n;
        let covariance: f64 = series
            .iter()
            .map(|(t, l)| (t - mean_t) * (l - mean_l))
            .sum();
        let variance: f64 = series.iter().map(|(t, _)| (t - mean_t).powi(2)).sum();
        let first = &series[..fifth];
        let last = &series[series.len() - fifth..];
        Self {
            first_fifth_p50_ms: median(first),
            last_fifth_p50_ms: median(last),
            first_fifth_max_ms: max(first),
            last_fifth_max_ms: max(last),
            slope_ms_per_s: if variance > 0.0 {
                covariance / variance
            } else {
                0.0
            },
        }
    }
}

/// The read side's backlog when the writes stopped, and how fast it was worked off.
#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct Drain {
    pub backlog_at_stop: usize,
    pub seconds: f64,
    /// Events still not seen when the wait gave up.
    pub left: usize,
    pub events_per_second: Option<f64>,
}

const USER_CHANGED: &str = "subscription { userChanged { userId event user { version } } }";

/// A `userChanged` subscription feeding a [`LagBook`], on its own thread.
pub(crate) struct Subscriber {
    stop: oneshot::Sender<()>,
    thread: std::thread::JoinHandle<anyhow::Result<SubscriberStats>>,
}

/// What the subscription received.
#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct SubscriberStats {
    pub events: u64,
    pub errors: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
}

impl Subscriber {
    /// Subscribes to every user change on `url` and returns once the subscription is sent.
    pub(crate) async fn start(url: String, book: Arc<LagBook>) -> anyhow::Result<Self> {
        let (stop, stopped) = oneshot::channel();
        let (ready, is_ready) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("lag-subscriber".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                runtime.block_on(listen(url, book, ready, stopped))
            })?;
        is_ready
            .await
            .context("the subscriber thread ended before subscribing")??;
        // The server registers the subscription after reading the message: give it a moment.
        tokio::time::sleep(Duration::from_millis(300)).await;
        Ok(Self { stop, thread })
    }

    pub(crate) fn stop(self) -> anyhow::Result<SubscriberStats> {
        let _ = self.stop.send(());
        self.thread
            .join()
            .map_err(|_| anyhow::anyhow!("the subscriber thread panicked"))?
    }
}

async fn listen(
    url: String,
    book: Arc<LagBook>,
    ready: oneshot::Sender<anyhow::Result<()>>,
    mut stopped: oneshot::Receiver<()>,
) -> anyhow::Result<SubscriberStats> {
    let mut client = match WsClient::connect(&url, None).await {
        Ok(client) => client,
        Err(error) => {
            let _ = ready.send(Err(error));
            return Ok(SubscriberStats::default());
        }
    };
    if let Err(error) = client.subscribe("lag", USER_CHANGED).await {
        let _ = ready.send(Err(error));
        return Ok(SubscriberStats::default());
    }
    let _ = ready.send(Ok(()));
    let mut stats = SubscriberStats::default();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            message = client.receive() => {
                let Some(message) = message? else { break };
                let change = &message["payload"]["data"]["userChanged"];
                match (change["userId"].as_str(), change["user"]["version"].as_i64()) {
                    (Some(user), Some(version)) if message["payload"]["errors"].is_null() => {
                        stats.events += 1;
                        book.observed(user, version as i32);
                    }
                    _ => {
                        stats.errors += 1;
                        if stats.first_error.is_none() {
                            stats.first_error = Some(message.to_string().chars().take(400).collect());
                        }
                    }
                }
            }
        }
    }
    Ok(stats)
}
