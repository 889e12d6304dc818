//! What a scenario cost: CPU seconds of the server under test, of the Postgres processes
//! working for the benchmark's database, of the benchmark process itself, and of the whole
//! machine (the rest is whatever else ran meanwhile), plus the server's memory at the end.

use std::collections::HashMap;
use std::time::Instant;

use serde::Serialize;
use tokio_postgres::Client;

use crate::postgres::PgServer;
use crate::proc_stats;

/// The Postgres side a meter watches: the server, a connection to ask it, the database.
pub(crate) struct PgWatch<'a> {
    pub server: &'a PgServer,
    pub client: &'a Client,
    pub database: &'a str,
}

/// CPU counters at the start of a scenario.
pub(crate) struct Meter {
    started: Instant,
    server_pid: Option<u32>,
    server_cpu: f64,
    postgres: Option<HashMap<u32, f64>>,
    bench_cpu: f64,
    machine: f64,
}

/// CPU seconds and memory over one scenario.
#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct Usage {
    pub wall_s: f64,
    /// The server under test (rosterql, the ceiling server, PostGraphile's node process).
    pub server_cpu_s: f64,
    /// Postgres sessions on the benchmark's database plus the cluster's background processes.
    pub postgres_cpu_s: Option<f64>,
    /// The load generator (this process).
    pub bench_cpu_s: f64,
    /// Every process on the machine.
    pub machine_cpu_s: f64,
    /// The server's peak resident set since it started (VmHWM), MiB.
    pub server_peak_rss_mib: f64,
    /// The server's resident set at the end of the scenario (VmRSS), MiB.
    pub server_rss_mib: f64,
}

impl Usage {
    /// Machine CPU not accounted to the server, Postgres or the benchmark: other work on a
    /// shared machine, which makes a run less comparable.
    pub(crate) fn other_cpu_s(&self) -> f64 {
        (self.machine_cpu_s
            - self.server_cpu_s
            - self.postgres_cpu_s.unwrap_or(0.0)
            - self.bench_cpu_s)
            .max(0.0)
    }
}

fn postgres_cpu(pids: &[u32]) -> HashMap<u32, f64> {
    pids.iter()
        .filter_map(|pid| Some((*pid, proc_stats::cpu_seconds(&pid.to_string()).ok()?)))
        .collect()
}

impl Meter {
    pub(crate) async fn start(
        server_pid: Option<u32>,
        pg: Option<&PgWatch<'_>>,
    ) -> anyhow::Result<Self> {
        let postgres = match pg {
            Some(pg) => Some(postgres_cpu(
                &pg.server.worker_pids(pg.client, pg.database).await?,
            )),
            None => None,
        };
        Ok(Self {
            started: Instant::now(),
            server_pid,
            server_cpu: match server_pid {
                Some(pid) => proc_stats::cpu_seconds(&pid.to_string())?,
                None => 0.0,
            },
            postgres,
            bench_cpu: proc_stats::cpu_seconds("self")?,
            machine: proc_stats::machine_busy_seconds()?,
        })
    }

    pub(crate) async fn finish(self, pg: Option<&PgWatch<'_>>) -> anyhow::Result<Usage> {
        let wall_s = self.started.elapsed().as_secs_f64();
        let machine_cpu_s = proc_stats::machine_busy_seconds()? - self.machine;
        let bench_cpu_s = proc_stats::cpu_seconds("self")? - self.bench_cpu;
        let (server_cpu_s, memory) = match self.server_pid {
            Some(pid) => {
                let pid = pid.to_string();
                (
                    proc_stats::cpu_seconds(&pid)? - self.server_cpu,
                    proc_stats::memory(&pid)?,
                )
            }
            None => (0.0, proc_stats::Memory::default()),
        };
        let postgres_cpu_s = match (self.postgres, pg) {
            (Some(before), Some(pg)) => {
                let pids = pg.server.worker_pids(pg.client, pg.database).await?;
                let after = postgres_cpu(&pids);
                // A session that started meanwhile counts from zero; one that ended is lost
                // (the server's pool keeps its sessions, so this is rare).
                Some(
                    after
                        .iter()
                        .map(|(pid, cpu)| cpu - before.get(pid).copied().unwrap_or(0.0))
                        .sum(),
                )
            }
            _ => None,
        };
        Ok(Usage {
            wall_s,
            server_cpu_s,
            postgres_cpu_s,
            bench_cpu_s,
            machine_cpu_s,
            server_peak_rss_mib: memory.hwm_kib as f64 / 1024.0,
            server_rss_mib: memory.rss_kib as f64 / 1024.0,
        })
    }
}
