//! Runs one load scenario against a server: reads, writes or both at once, optionally with
//! the lag subscriber, metered from start to end of the load; answers a [`Run`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cli::Options;
use crate::gql;
use crate::lag::{LagBook, Subscriber};
use crate::load::{self, Client, Endpoint, Plan};
use crate::meter::{Meter, PgWatch};
use crate::results::Run;
use crate::server::Server;
use crate::workloads::{Rename, WriteSet};

/// How long the lag run waits for the events of writes already answered.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(90);
/// How long a scenario waits for the read side to catch up before it starts.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(600);

/// A server under test and how to reach it.
pub(crate) struct Target<'a> {
    pub server: &'a Server,
    /// Reads go here (anonymous).
    pub reads: Endpoint,
    /// Writes go here (with an admin token); None for servers that take none.
    pub writes: Option<Endpoint>,
    pub ws_url: Option<String>,
}

/// The client of each read connection.
pub(crate) type ReadClients = Box<dyn FnMut(usize) -> Box<dyn Client> + Send>;

/// The writes of a scenario.
pub(crate) struct Writes {
    pub set: Arc<WriteSet>,
    /// Writes per second; None: as fast as answered.
    pub rate: Option<f64>,
    /// Measure projection lag with a `userChanged` subscription.
    pub lag: bool,
    /// The measured window (writes-only scenarios may run longer than reads).
    pub duration: Duration,
}

pub(crate) struct Bench<'a> {
    pub opts: &'a Options,
    pub pg: Option<PgWatch<'a>>,
}

impl Bench<'_> {
    pub(crate) async fn run(
        &self,
        title: &str,
        target: &Target<'_>,
        reads: Option<ReadClients>,
        writes: Option<Writes>,
    ) -> anyhow::Result<Run> {
        eprintln!("bench: {title} on {}", target.server.name);
        let opts = self.opts;
        // Start from a caught-up read side, so no scenario inherits the last one's backlog.
        let settled = match target.writes {
            Some(_) => Some(gql::wait_caught_up(&target.reads, SETTLE_TIMEOUT).await?),
            None => None,
        };
        let duration = writes
            .as_ref()
            .filter(|_| reads.is_none())
            .map_or(opts.duration, |writes| writes.duration);
        let book = Arc::new(LagBook::new());
        let subscriber = match (&writes, &target.ws_url) {
            (Some(writes), Some(url)) if writes.lag => {
                Some(Subscriber::start(url.clone(), book.clone()).await?)
            }
            _ => None,
        };
        // Writes answered during the warm-up are not counted.
        book.count_from(Instant::now() + opts.warmup);
        let meter = Meter::start(Some(target.server.pid), self.pg.as_ref()).await?;
        let read_load = async {
            match reads {
                Some(make) => {
                    let plan = Plan {
                        connections: opts.connections,
                        warmup: opts.warmup,
                        duration,
                        rate: None,
                    };
                    load::run(&target.reads, plan, make).await.map(Some)
                }
                None => Ok(None),
            }
        };
        let write_load = async {
            match (&writes, &target.writes) {
                (Some(spec), Some(endpoint)) => {
                    let plan = Plan {
                        connections: opts.writers,
                        warmup: opts.warmup,
                        duration,
                        rate: spec.rate,
                    };
                    let lag = spec.lag.then(|| book.clone());
                    let set = spec.set.clone();
                    let workers = opts.writers;
                    let make = move |worker: usize| -> Box<dyn Client> {
                        Box::new(Rename::new(
                            set.clone(),
                            worker,
                            workers,
                            lag.clone(),
                            worker as u64 + 1000,
                        ))
                    };
                    load::run(endpoint, plan, make).await.map(Some)
                }
                (Some(_), None) => anyhow::bail!("{} takes no writes", target.server.name),
                _ => Ok(None),
            }
        };
        let (reads, writes_summary) = tokio::join!(read_load, write_load);
        let usage = meter.finish(self.pg.as_ref()).await?;
        let (lag, drain, subscriber) = match subscriber {
            Some(subscriber) => {
                let drain = book.drain(DRAIN_TIMEOUT).await;
                let stats = subscriber.stop()?;
                (Some(book.summary()?), Some(drain), Some(stats))
            }
            None => (None, None, None),
        };
        Ok(Run {
            title: title.to_owned(),
            server: target.server.name.clone(),
            reads: reads?,
            writes: writes_summary?,
            write_rate: writes.as_ref().and_then(|writes| writes.rate),
            lag,
            drain,
            subscriber,
            usage,
            settled,
        })
    }
}
