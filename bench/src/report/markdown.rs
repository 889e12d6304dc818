//! `bench.md`: the targets table first, then every raw figure (each load run, the lag runs,
//! the one-off timings) and SQLite's own table.

use std::fmt::Write;

use super::format::{count, ms};
use super::targets::Row;
use crate::results::{Backend, Maybe, Results};

fn escape(cell: &str) -> String {
    cell.replace('|', "\\|").replace('\n', " ")
}

fn targets_table(out: &mut String, rows: &[Row]) {
    out.push_str(
        "| scenario | rosterql | baseline | ratio | target | met |\n|---|---|---|---|---|---|\n",
    );
    for row in rows {
        let met = match row.met {
            Some(true) => "✅ yes",
            Some(false) => "❌ no",
            None => "—",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            escape(&row.scenario),
            escape(&row.rosterql),
            escape(&row.baseline),
            escape(&row.ratio),
            escape(&row.target),
            met
        );
    }
}

fn runs_table(out: &mut String, backend: &Backend) {
    out.push_str(
        "| run | server | reads/s | read p50 / p99 / max | writes/s | write p50 / p99 / max | errors | conflicts | server CPU (cores) | Postgres CPU | load gen CPU | other CPU | server RSS / peak |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for (id, run) in &backend.runs {
        let latency = |summary: &crate::load::LoadSummary| {
            format!(
                "{} / {} / {}",
                ms(summary.p50_ms),
                ms(summary.p99_ms),
                ms(summary.max_ms)
            )
        };
        let errors = run.reads.as_ref().map_or(0, |s| s.errors())
            + run.writes.as_ref().map_or(0, |s| s.errors());
        let usage = &run.usage;
        let cores = |cpu: f64| {
            if usage.wall_s > 0.0 {
                cpu / usage.wall_s
            } else {
                0.0
            }
        };
        let _ = writeln!(
            out,
            "| `{id}` | {} | {} | {} | {} | {} | {} | {} | {:.1} s ({:.2}) | {} | {:.1} s | {:.1} s | {:.0} / {:.0} MiB |",
            run.server,
            run.reads
                .as_ref()
                .map_or("—".into(), |s| count(s.per_second)),
            run.reads.as_ref().map_or("—".into(), latency),
            run.writes
                .as_ref()
                .map_or("—".into(), |s| count(s.per_second)),
            run.writes.as_ref().map_or("—".into(), latency),
            errors,
            run.writes.as_ref().map_or(0, |s| s.conflicts),
            usage.server_cpu_s,
            cores(usage.server_cpu_s),
            usage
                .postgres_cpu_s
                .map_or("—".into(), |cpu| format!("{cpu:.1} s")),
            usage.bench_cpu_s,
            usage.other_cpu_s(),
            usage.server_rss_mib,
            usage.server_peak_rss_mib,
        );
    }
    let mut titles = String::new();
    for (id, run) in &backend.runs {
        let _ = writeln!(titles, "- `{id}`: {}", run.title);
        for summary in [&run.reads, &run.writes].into_iter().flatten() {
            if let Some(error) = &summary.first_error {
                let _ = writeln!(titles, "  - first error: `{}`", escape(error));
            }
        }
    }
    out.push('\n');
    out.push_str(&titles);
}

fn lag_table(out: &mut String, backend: &Backend) {
    out.push_str("| run | writes/s (paced at) | lag p50 | p99 | max | matched | missing | event before reply | first fifth p50 → last fifth p50 | slope | backlog at stop → drained in |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (id, run) in &backend.runs {
        let (Some(lag), Some(writes)) = (&run.lag, &run.writes) else {
            continue;
        };
        let drain = run.drain.clone().unwrap_or_default();
        let _ = writeln!(
            out,
            "| `{id}` | {} ({}) | {} | {} | {} | {} | {} | {} | {} → {} | {:.2} ms/s | {} → {:.2} s |",
            count(writes.per_second),
            run.write_rate.map_or("max".into(), count),
            ms(lag.p50_ms),
            ms(lag.p99_ms),
            ms(lag.max_ms),
            lag.matched,
            lag.missing,
            lag.event_before_reply,
            ms(lag.growth.first_fifth_p50_ms),
            ms(lag.growth.last_fifth_p50_ms),
            lag.growth.slope_ms_per_s,
            drain.backlog_at_stop,
            drain.seconds,
        );
    }
}

fn unavailable<T>(value: &Option<Maybe<T>>) -> Option<String> {
    match value {
        Some(Maybe::Unavailable { unavailable }) => Some(unavailable.clone()),
        _ => None,
    }
}

pub(crate) fn render(results: &Results, rows: &[Row]) -> String {
    let mut out = String::new();
    let pg = &results.postgres;
    let _ = writeln!(out, "# rosterql benchmark\n");
    let _ = writeln!(
        out,
        "{} run started {} (commit {}): {} users in {} organizations, {} s per scenario after {} s of warm-up, {} read connections, {} writers, {} cores shared by the servers, Postgres and the load generator. Compare ratios within one run only.\n",
        if results.quick { "Quick" } else { "Full" },
        results.started_at,
        results.git_commit.as_deref().unwrap_or("unknown"),
        count(pg.users as f64),
        pg.organizations,
        results.seconds_per_scenario,
        results.warmup_seconds,
        results.connections,
        results.writers,
        results.cores,
    );
    out.push_str("## Targets (issue 8)\n\n");
    targets_table(&mut out, rows);
    out.push_str("\n## Every run (Postgres)\n\n");
    runs_table(&mut out, pg);
    out.push_str("\n## Projection lag (mutation reply → `userChanged` event)\n\n");
    lag_table(&mut out, pg);
    out.push_str("\n## One-off timings\n\n");
    let _ = writeln!(
        out,
        "- seeding through the command side: {:.1} s ({}/s)",
        pg.seed_seconds,
        count((pg.users + pg.organizations) as f64 / pg.seed_seconds.max(1e-9))
    );
    if let Some(sweep) = &pg.cold_sweep {
        let _ = writeln!(
            out,
            "- reading every user once from a cold cache: {}/s, p99 {}",
            count(sweep.per_second),
            ms(sweep.p99_ms)
        );
    }
    for (name, pgbench) in [
        ("pgbench of the rename transaction", &results.pgbench),
        (
            "the same with a pg_notify inside the transaction",
            &results.pgbench_with_notify,
        ),
    ] {
        if let Some(Maybe::Measured(pgbench)) = pgbench {
            let _ = writeln!(
                out,
                "- {name} ({} clients, {:.0} s): {} tx/s, p50 {}, p99 {}, max {}",
                pgbench.clients,
                pgbench.seconds,
                count(pgbench.tps),
                ms(pgbench.p50_ms),
                ms(pgbench.p99_ms),
                ms(pgbench.max_ms)
            );
        }
    }
    for (name, reason) in [
        ("pgbench", unavailable(&results.pgbench)),
        (
            "pgbench with pg_notify",
            unavailable(&results.pgbench_with_notify),
        ),
        ("PostGraphile", unavailable(&results.postgraphile)),
        ("rebuild-projections", unavailable(&results.rebuild)),
        (
            "catch-up after pgbench",
            unavailable(&results.catch_up_after_pgbench),
        ),
        ("fan-out", unavailable(&results.fanout)),
    ] {
        if let Some(reason) = reason {
            let _ = writeln!(out, "- {name} unavailable: {}", escape(&reason));
        }
    }
    for note in &pg.notes {
        let _ = writeln!(out, "- {note}");
    }
    out.push_str("\n## SQLite (no baselines, no targets)\n\n");
    match &results.sqlite {
        Some(Maybe::Measured(sqlite)) => {
            let _ = writeln!(
                out,
                "{} users in {} organizations, seeded in {:.1} s; peak RSS {:.0} MiB.\n",
                count(sqlite.users as f64),
                sqlite.organizations,
                sqlite.seed_seconds,
                sqlite.peak_rss_mib.unwrap_or(0.0)
            );
            out.push_str("| scenario | reads/s | p50 | p99 | max | errors | server CPU (cores) | load gen CPU | other CPU |\n|---|---|---|---|---|---|---|---|---|\n");
            for (id, run) in &sqlite.runs {
                if let Some(reads) = &run.reads {
                    let _ = writeln!(
                        out,
                        "| {} (`{id}`) | {} | {} | {} | {} | {} | {:.1} s ({:.2}) | {:.1} s | {:.1} s |",
                        escape(&run.title),
                        count(reads.per_second),
                        ms(reads.p50_ms),
                        ms(reads.p99_ms),
                        ms(reads.max_ms),
                        reads.errors(),
                        run.usage.server_cpu_s,
                        run.usage.server_cpu_s / run.usage.wall_s.max(1e-9),
                        run.usage.bench_cpu_s,
                        run.usage.other_cpu_s(),
                    );
                }
            }
        }
        Some(Maybe::Unavailable { unavailable }) => {
            let _ = writeln!(out, "Unavailable: {}", escape(unavailable));
        }
        None => out.push_str("Not run (--no-sqlite, or not reached yet).\n"),
    }
    out.push_str("\nCPU columns: seconds over the whole run including warm-up (cores = seconds ÷ wall time); Postgres counts the sessions on the benchmark's database plus the cluster's background processes; \"other\" is machine CPU not accounted to the server, Postgres or the load generator (other work on a shared machine). See BENCHMARKS.md.\n");
    out
}
