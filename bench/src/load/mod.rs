//! The load generator: a fixed number of HTTP/1.1 connections, each with its own
//! [`Client`] sending one request at a time, either as fast as answers come back (closed
//! loop, like `wrk`) or paced to a fixed total rate (open loop: request *i* is due at
//! *start + i / rate*, whichever connection is free; a late one goes out at once). Requests
//! started during the warm-up are answered but not counted; the measured window is the
//! `duration` after it. Every answer is checked by its client (status 200, data, no
//! `errors`), and a connection that fails is opened again.

pub(crate) mod conn;
pub(crate) mod tally;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::StatusCode;

use conn::Conn;
pub(crate) use conn::Endpoint;
pub(crate) use tally::{LoadSummary, Outcome, Tally};

/// One connection's request source and answer checker.
pub(crate) trait Client: Send + 'static {
    /// The next request body, or None when this client has nothing more to send.
    fn next(&mut self) -> Option<Bytes>;
    /// Classifies an answer (and updates the client's own state, such as versions).
    fn check(&mut self, status: StatusCode, body: &[u8]) -> Outcome;
}

/// How a run sends its requests.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    pub connections: usize,
    pub warmup: Duration,
    pub duration: Duration,
    /// Requests per second over all connections; None: as fast as they are answered.
    pub rate: Option<f64>,
}

/// Runs `plan` against `endpoint`, with `make(i)` the client of connection `i`.
pub(crate) async fn run(
    endpoint: &Endpoint,
    plan: Plan,
    mut make: impl FnMut(usize) -> Box<dyn Client>,
) -> anyhow::Result<LoadSummary> {
    let mut conns = Vec::with_capacity(plan.connections);
    for _ in 0..plan.connections {
        conns.push(Conn::to(endpoint).await?);
    }
    let start = Instant::now();
    let window = Window {
        start,
        measure_from: start + plan.warmup,
        deadline: start + plan.warmup + plan.duration,
        rate: plan.rate,
        tickets: Arc::new(AtomicU64::new(0)),
    };
    let mut workers = Vec::with_capacity(plan.connections);
    for (index, conn) in conns.into_iter().enumerate() {
        let client = make(index);
        let endpoint = endpoint.clone();
        let window = window.clone();
        workers.push(tokio::spawn(worker(endpoint, conn, client, window)));
    }
    let mut tally = Tally::new()?;
    for worker in workers {
        tally.merge(worker.await??);
    }
    let end = Instant::now().min(window.deadline);
    let measured = end.saturating_duration_since(window.measure_from);
    Ok(tally.summary(measured.as_secs_f64()))
}

#[derive(Clone)]
struct Window {
    start: Instant,
    measure_from: Instant,
    deadline: Instant,
    rate: Option<f64>,
    tickets: Arc<AtomicU64>,
}

impl Window {
    /// Waits for this connection's next turn and answers when it was due (now, in a
    /// closed loop); None once the run is over.
    async fn next_turn(&self) -> Option<Instant> {
        match self.rate {
            Some(rate) => {
                let ticket = self.tickets.fetch_add(1, Ordering::Relaxed);
                let due = self.start + Duration::from_secs_f64(ticket as f64 / rate);
                if due >= self.deadline {
                    return None;
                }
                tokio::time::sleep_until(due.into()).await;
                Some(due)
            }
            None => {
                let now = Instant::now();
                (now < self.deadline).then_some(now)
            }
        }
    }
}

async fn worker(
    endpoint: Endpoint,
    mut conn: Conn,
    mut client: Box<dyn Client>,
    window: Window,
) -> anyhow::Result<Tally> {
    let mut tally = Tally::new()?;
    while let Some(due) = window.next_turn().await {
        let Some(body) = client.next() else { break };
        let sent = Instant::now();
        // A paced request counts by when it was due, so a late one from the warm-up does not.
        let counted = due >= window.measure_from;
        match conn.post(body).await {
            Ok((status, body)) => {
                let latency = sent.elapsed();
                let outcome = client.check(status, &body);
                if counted {
                    tally.record(outcome, latency, &body);
                }
            }
            Err(error) => {
                if counted {
                    tally.transport_error(&error);
                }
                conn = reconnect(&endpoint, window.deadline).await?;
            }
        }
    }
    Ok(tally)
}

/// Opens the connection again, retrying until the run's deadline.
async fn reconnect(endpoint: &Endpoint, deadline: Instant) -> anyhow::Result<Conn> {
    loop {
        match Conn::to(endpoint).await {
            Ok(conn) => return Ok(conn),
            Err(error) if Instant::now() > deadline => return Err(error),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}
