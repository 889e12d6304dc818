//! The write baseline: `pgbench` running the SQL transaction a `renameUser` command runs —
//! read the user and its version, update it with the version check, append the event — on
//! the same database, 16 clients (and once more with a `pg_notify` inside the transaction,
//! as the service once sent it, to show that lock's price). Each client
//! works on its own users (a numbering kept in schema `rosterql_bench`, which the service
//! never reads), so no transaction fails on a conflict. The events it appends are valid
//! `UserRenamed` events: the service projects them when it next runs.

use std::path::Path;

use anyhow::{Context, bail};
use serde::Serialize;
use tokio::process::Command;
use tokio_postgres::Client;

use crate::load::tally::histogram;

const SCRIPT: &str = r#"\set k random(0, :per_client - 1)
\set n :k * :clients + :client_id + 1
BEGIN;
SELECT u.id AS uid, u.version AS v, u.organization_id AS org FROM rosterql_bench.user_ids b JOIN users u ON u.id = b.id WHERE b.n = :n AND NOT u.deleted \gset
UPDATE users SET email = email, name = 'Pgbench Writer ' || CAST(:n AS text), role = role, status = status, deleted = false, version = CAST(:v AS integer) + 1, updated_at = now() WHERE id = CAST(:uid AS uuid) AND version = CAST(:v AS integer);
WITH appended AS (INSERT INTO events (aggregate_type, aggregate_id, aggregate_version, event_type, payload, metadata, recorded_at) VALUES ('user', CAST(:uid AS uuid), CAST(:v AS integer) + 1, 'UserRenamed', jsonb_build_object('organization_id', CAST(:org AS text), 'event', 'UserRenamed', 'name', 'Pgbench Writer ' || CAST(:n AS text)), jsonb_build_object('actor', 'pgbench', 'request_id', NULL), date_trunc('microseconds', now())) RETURNING tx_id::text::bigint AS tx, position AS seq) SELECT tx, seq{NOTIFY} FROM appended;
COMMIT;
"#;

/// Numbers the live users 1..=N for the script; answers N.
pub(crate) async fn prepare(client: &Client) -> anyhow::Result<i64> {
    client
        .batch_execute(
            "CREATE SCHEMA IF NOT EXISTS rosterql_bench;
             DROP TABLE IF EXISTS rosterql_bench.user_ids;
             CREATE TABLE rosterql_bench.user_ids AS
                 SELECT (row_number() OVER (ORDER BY id))::integer AS n, id
                 FROM users WHERE NOT deleted;
             ALTER TABLE rosterql_bench.user_ids ADD PRIMARY KEY (n);
             ANALYZE rosterql_bench.user_ids; ANALYZE users; ANALYZE events;",
        )
        .await
        .context("numbering the users for pgbench")?;
    crate::postgres::count(client, "SELECT count(*) FROM rosterql_bench.user_ids").await
}

/// What pgbench measured.
#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct PgbenchResult {
    pub clients: usize,
    pub seconds: f64,
    pub transactions: u64,
    pub tps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// Runs the script with `clients` clients for `seconds` on `database_url`; pgbench's files
/// go to `dir`. With `notify`, the append also sends a `pg_notify` (every commit that
/// notified takes one cluster-wide lock in turn: the difference is that lock's price).
pub(crate) async fn run(
    database_url: &str,
    users: i64,
    clients: usize,
    seconds: u64,
    notify: bool,
    dir: &Path,
) -> anyhow::Result<PgbenchResult> {
    let name = if notify {
        "pgbench-with-notify"
    } else {
        "pgbench"
    };
    let script = dir.join(format!("{name}.sql"));
    let sql = SCRIPT.replace(
        "{NOTIFY}",
        if notify {
            ", pg_notify('rosterql_events', '')"
        } else {
            ""
        },
    );
    std::fs::write(&script, sql)?;
    let logs = dir.join("pgbench-log");
    std::fs::create_dir_all(&logs)?;
    let prefix = logs.join("tx");
    let per_client = (users / clients as i64).max(1);
    let output = Command::new("pgbench")
        .args(["-n", "-M", "prepared", "-j", "2"])
        .arg("-c")
        .arg(clients.to_string())
        .arg("-T")
        .arg(seconds.to_string())
        .arg("-f")
        .arg(&script)
        .arg("-D")
        .arg(format!("per_client={per_client}"))
        .arg("-D")
        .arg(format!("clients={clients}"))
        .arg("-l")
        .arg(format!("--log-prefix={}", prefix.display()))
        .arg(database_url)
        .output()
        .await
        .context("running pgbench (is it installed? Debian: postgresql-client)")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    std::fs::write(
        dir.join(format!("{name}.out")),
        format!("{stdout}\n{stderr}"),
    )?;
    if !output.status.success() {
        // pgbench repeats its error once per client: the first lines say it.
        let first: String = stderr.lines().take(4).collect::<Vec<_>>().join(" ");
        bail!("pgbench failed ({}): {first}", output.status);
    }
    let tps = stdout
        .lines()
        .find(|line| line.starts_with("tps = "))
        .and_then(|line| line.split_whitespace().nth(2))
        .and_then(|value| value.parse::<f64>().ok())
        .context("pgbench printed no tps")?;
    let mut latency = histogram()?;
    for entry in std::fs::read_dir(&logs)? {
        let text = std::fs::read_to_string(entry?.path())?;
        for line in text.lines() {
            // client transaction_no latency_us script_no epoch epoch_us
            if let Some(micros) = line.split_whitespace().nth(2).and_then(|f| f.parse().ok()) {
                latency.saturating_record(micros);
            }
        }
    }
    std::fs::remove_dir_all(&logs).ok();
    let ms = |micros: u64| micros as f64 / 1000.0;
    Ok(PgbenchResult {
        clients,
        seconds: seconds as f64,
        transactions: latency.len(),
        tps,
        p50_ms: ms(latency.value_at_quantile(0.5)),
        p99_ms: ms(latency.value_at_quantile(0.99)),
        max_ms: ms(latency.max()),
    })
}
