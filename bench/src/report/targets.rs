//! Issue 8's targets, each checked against the run's figures: one [`Row`] per target with
//! rosterql's figure, the baseline's, their ratio and whether the target is met (None: not
//! measured, or a figure reported without a target).

use serde::Serialize;

use super::format::{count, lag, load, ms, ratio};
use crate::meter::Usage;
use crate::results::{Maybe, Results, Run};

/// Lag growth over the long write run that still counts as bounded (noise, not a trend).
pub(crate) const BOUNDED_GROWTH_MS: f64 = 50.0;

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Row {
    pub scenario: String,
    pub rosterql: String,
    pub baseline: String,
    pub ratio: String,
    pub target: String,
    pub met: Option<bool>,
}

fn row(
    scenario: &str,
    rosterql: String,
    baseline: String,
    ratio: String,
    target: &str,
    met: Option<bool>,
) -> Row {
    Row {
        scenario: scenario.to_owned(),
        rosterql,
        baseline,
        ratio,
        target: target.to_owned(),
        met,
    }
}

const NOT_MEASURED: &str = "not measured";

/// CPU cores a run kept busy: the server, Postgres and the load generator together.
pub(crate) fn cores_used(usage: &Usage) -> f64 {
    if usage.wall_s <= 0.0 {
        return 0.0;
    }
    (usage.server_cpu_s + usage.postgres_cpu_s.unwrap_or(0.0) + usage.bench_cpu_s) / usage.wall_s
}

/// Cores other processes kept busy during a run (machine CPU not accounted to the run).
fn other_cores(usage: &Usage) -> f64 {
    if usage.wall_s > 0.0 {
        usage.other_cpu_s() / usage.wall_s
    } else {
        0.0
    }
}

/// Above this many cores taken by other processes, the CPU arithmetic is not judged.
const NOISE_CORES: f64 = 0.2;

/// Read-only throughput and p99 to compare mixed runs with: the mean of the read-only
/// runs just before and just after them.
fn read_only(results: &Results) -> Option<(f64, f64, f64)> {
    let runs = &results.postgres.runs;
    let before = runs.get("reads_only_before")?;
    let after = runs.get("reads_only_after")?;
    let (b, a) = (before.reads.as_ref()?, after.reads.as_ref()?);
    Some((
        (b.per_second + a.per_second) / 2.0,
        (b.p99_ms + a.p99_ms) / 2.0,
        (cores_used(&before.usage) + cores_used(&after.usage)) / 2.0,
    ))
}

fn reads_of<'a>(results: &'a Results, id: &str) -> Option<(&'a Run, &'a crate::load::LoadSummary)> {
    let run = results.postgres.runs.get(id)?;
    Some((run, run.reads.as_ref()?))
}

pub(crate) fn evaluate(results: &Results) -> Vec<Row> {
    let mut rows = Vec::new();
    let runs = &results.postgres.runs;

    // Lag.
    for (id, scenario, limit) in [
        (
            "lag_500_no_reads",
            "projection lag, 500 writes/s, no reads",
            10.0,
        ),
        (
            "reads_500_writes",
            "projection lag, 500 writes/s, user(id) reads at full speed",
            50.0,
        ),
    ] {
        let target = format!("p99 ≤ {limit} ms");
        match runs.get(id).and_then(|run| Some((run, run.lag.as_ref()?))) {
            Some((run, summary)) => {
                let achieved = run.writes.as_ref().map_or(0.0, |writes| writes.per_second);
                rows.push(row(
                    scenario,
                    format!("{} ({} writes/s achieved)", lag(summary), count(achieved)),
                    String::new(),
                    String::new(),
                    &target,
                    Some(summary.p99_ms <= limit && summary.missing == 0),
                ));
            }
            None => rows.push(row(
                scenario,
                NOT_MEASURED.into(),
                String::new(),
                String::new(),
                &target,
                None,
            )),
        }
    }
    if let Some(run) = runs.get("lag_max_rate")
        && let (Some(writes), Some(summary)) = (&run.writes, &run.lag)
    {
        let growth = &summary.growth;
        let drain = run.drain.as_ref();
        let grown = growth.last_fifth_p50_ms - growth.first_fifth_p50_ms;
        rows.push(row(
            "projection lag at the highest write rate (writes only)",
            format!(
                "{} writes/s over {:.0} s; {}; median lag first fifth {} → last fifth {} (slope {:.2} ms/s); backlog at stop {} events, drained in {:.2} s",
                count(writes.per_second),
                writes.seconds,
                lag(summary),
                ms(growth.first_fifth_p50_ms),
                ms(growth.last_fifth_p50_ms),
                growth.slope_ms_per_s,
                drain.map_or(0, |drain| drain.backlog_at_stop),
                drain.map_or(0.0, |drain| drain.seconds),
            ),
            String::new(),
            String::new(),
            &format!("bounded: median lag grows ≤ {BOUNDED_GROWTH_MS} ms over the run"),
            Some(grown <= BOUNDED_GROWTH_MS && summary.missing == 0),
        ));
    }

    // Catch-up.
    let catch_up_target = "≥ 25,000 events/s";
    match &results.rebuild {
        Some(Maybe::Measured(rebuild)) => rows.push(row(
            "catch-up: rosterql rebuild-projections",
            format!(
                "{} events in {:.2} s = {} events/s; beside it {} reads, the slowest {:.1} ms",
                count(rebuild.events as f64),
                rebuild.seconds,
                count(rebuild.events_per_second),
                count(rebuild.reads as f64),
                rebuild.slowest_read_ms
            ),
            String::new(),
            String::new(),
            catch_up_target,
            Some(rebuild.events_per_second >= 25_000.0),
        )),
        other => rows.push(row(
            "catch-up: rosterql rebuild-projections",
            unavailable(other),
            String::new(),
            String::new(),
            catch_up_target,
            None,
        )),
    }
    let stopped = [
        (
            "catch-up: a stopped projector, after the seed",
            results
                .postgres
                .initial_catch_up
                .clone()
                .map(Maybe::Measured),
        ),
        (
            "catch-up: a stopped projector, after pgbench's writes",
            results.catch_up_after_pgbench.clone(),
        ),
    ];
    for (scenario, catch_up) in stopped {
        match catch_up {
            Some(Maybe::Measured(catch_up)) => {
                let rate = catch_up.events_per_second.unwrap_or(0.0);
                rows.push(row(
                    scenario,
                    format!(
                        "{} events in {:.2} s = {} events/s",
                        count(catch_up.events as f64),
                        catch_up.seconds,
                        count(rate)
                    ),
                    String::new(),
                    String::new(),
                    catch_up_target,
                    catch_up.events_per_second.map(|rate| rate >= 25_000.0),
                ));
            }
            other => rows.push(row(
                scenario,
                unavailable(&other),
                String::new(),
                String::new(),
                catch_up_target,
                None,
            )),
        }
    }

    // user(id) against the ceiling and PostGraphile.
    let user = reads_of(results, "user_by_id");
    match (user, reads_of(results, "ceiling_user_by_id")) {
        (Some((_, mine)), Some((_, ceiling))) => {
            let throughput = mine.per_second / ceiling.per_second;
            let p99 = mine.p99_ms / ceiling.p99_ms;
            rows.push(row(
                "user(id) vs the ceiling server: throughput",
                load(mine),
                load(ceiling),
                ratio(throughput),
                "≥ 0.9×",
                Some(throughput >= 0.9 && mine.errors() == 0),
            ));
            rows.push(row(
                "user(id) vs the ceiling server: p99",
                ms(mine.p99_ms),
                ms(ceiling.p99_ms),
                ratio(p99),
                "≤ 1.2×",
                Some(p99 <= 1.2),
            ));
        }
        _ => rows.push(row(
            "user(id) vs the ceiling server",
            NOT_MEASURED.into(),
            String::new(),
            String::new(),
            "≥ 0.9×, p99 ≤ 1.2×",
            None,
        )),
    }
    let postgraphile_missing = unavailable(
        &results
            .postgraphile
            .clone()
            .filter(|p| p.measured().is_none()),
    );
    match (user, reads_of(results, "postgraphile_user_by_pk")) {
        (Some((_, mine)), Some((_, theirs))) => {
            let throughput = mine.per_second / theirs.per_second;
            rows.push(row(
                "user(id) vs PostGraphile by primary key",
                load(mine),
                load(theirs),
                ratio(throughput),
                "≥ 4×",
                Some(throughput >= 4.0),
            ));
        }
        _ => rows.push(row(
            "user(id) vs PostGraphile by primary key",
            NOT_MEASURED.into(),
            postgraphile_missing.clone(),
            String::new(),
            "≥ 4×",
            None,
        )),
    }
    for (mine_id, theirs_id, scenario, target, limit) in [
        (
            "users_page",
            "postgraphile_page",
            "users(organizationId, first: 20) vs PostGraphile, no totalCount",
            "≥ 1.5×",
            Some(1.5),
        ),
        (
            "users_page_count",
            "postgraphile_page_count",
            "users(organizationId, first: 20) vs PostGraphile, with totalCount",
            "reported",
            None,
        ),
    ] {
        match (reads_of(results, mine_id), reads_of(results, theirs_id)) {
            (Some((_, mine)), Some((_, theirs))) => {
                let throughput = mine.per_second / theirs.per_second;
                rows.push(row(
                    scenario,
                    load(mine),
                    load(theirs),
                    ratio(throughput),
                    target,
                    limit.map(|limit| throughput >= limit && mine.errors() == 0),
                ));
            }
            (Some((_, mine)), None) => rows.push(row(
                scenario,
                load(mine),
                postgraphile_missing.clone(),
                String::new(),
                target,
                None,
            )),
            _ => rows.push(row(
                scenario,
                NOT_MEASURED.into(),
                String::new(),
                String::new(),
                target,
                None,
            )),
        }
    }

    // Reads under writes.
    if let (Some((base_rate, base_p99, base_cores)), Some((_, mixed))) =
        (read_only(results), reads_of(results, "reads_100_writes"))
    {
        let throughput = mixed.per_second / base_rate;
        let p99 = mixed.p99_ms / base_p99;
        rows.push(row(
            "user(id) with 100 writes/s vs read-only",
            load(mixed),
            format!(
                "{}/s, p99 {} (read-only, mean of before and after; {:.2} cores busy)",
                count(base_rate),
                ms(base_p99),
                base_cores
            ),
            format!("{} throughput, {} p99", ratio(throughput), ratio(p99)),
            "≥ 0.9× throughput, ≤ 1.2× p99",
            Some(throughput >= 0.9 && p99 <= 1.2),
        ));
    }
    if let (Some((base_rate, base_p99, base_cores)), Some((mixed_run, mixed)), Some(writes_alone)) = (
        read_only(results),
        reads_of(results, "reads_500_writes"),
        runs.get("lag_500_no_reads"),
    ) {
        let write_cores = cores_used(&writes_alone.usage);
        let allowed = if base_cores > 0.0 {
            base_rate * (1.0 - write_cores / base_cores).max(0.0)
        } else {
            0.0
        };
        let throughput = mixed.per_second / base_rate;
        // The allowance assumes the read-only runs had the machine to themselves; when other
        // work took a noticeable share of it during any of the runs compared, no verdict.
        let others = [
            "reads_only_before",
            "reads_only_after",
            "reads_500_writes",
            "lag_500_no_reads",
        ]
        .iter()
        .filter_map(|id| runs.get(*id))
        .map(|run| other_cores(&run.usage))
        .fold(0.0, f64::max);
        let verdict = (others <= NOISE_CORES).then_some(mixed.per_second >= allowed);
        let noise = if verdict.is_none() {
            format!("; not judged: other processes took up to {others:.2} cores during these runs")
        } else {
            String::new()
        };
        rows.push(row(
            "user(id) with 500 writes/s vs read-only",
            format!(
                "{} (p99 {} of read-only; {:.2} cores busy)",
                load(mixed),
                ratio(mixed.p99_ms / base_p99),
                cores_used(&mixed_run.usage)
            ),
            format!(
                "read-only {}/s using {:.2} cores; 500 writes/s alone use {:.2} cores (server {:.2} + Postgres {:.2} + load generator {:.2}); allowed ≥ {}/s × (1 − {:.2}/{:.2}) = {}/s",
                count(base_rate),
                base_cores,
                write_cores,
                per_second(writes_alone.usage.server_cpu_s, &writes_alone.usage),
                per_second(writes_alone.usage.postgres_cpu_s.unwrap_or(0.0), &writes_alone.usage),
                per_second(writes_alone.usage.bench_cpu_s, &writes_alone.usage),
                count(base_rate),
                write_cores,
                base_cores,
                count(allowed),
            ) + &noise,
            format!("{} throughput", ratio(throughput)),
            "loses ≤ the writes' own CPU",
            verdict,
        ));
    }

    // Writes against pgbench.
    let writes = runs.get("writes").and_then(|run| run.writes.as_ref());
    match (writes, &results.pgbench) {
        (Some(writes), Some(Maybe::Measured(pgbench))) => {
            let throughput = writes.per_second / pgbench.tps;
            rows.push(row(
                "renameUser (16 workers) vs pgbench of the same transaction (16 clients)",
                format!("{} ({} conflicts)", load(writes), writes.conflicts),
                format!(
                    "{} tx/s, p50 {}, p99 {}",
                    count(pgbench.tps),
                    ms(pgbench.p50_ms),
                    ms(pgbench.p99_ms)
                ),
                ratio(throughput),
                "≥ 0.5×",
                Some(throughput >= 0.5 && writes.errors() == 0),
            ));
        }
        (Some(writes), other) => rows.push(row(
            "renameUser vs pgbench",
            load(writes),
            unavailable(other),
            String::new(),
            "≥ 0.5×",
            None,
        )),
        _ => rows.push(row(
            "renameUser vs pgbench",
            NOT_MEASURED.into(),
            String::new(),
            String::new(),
            "≥ 0.5×",
            None,
        )),
    }

    // Memory.
    if let Some(peak) = results.postgres.peak_rss_mib {
        let megabytes = peak * 1024.0 * 1024.0 / 1e6;
        let users = results.postgres.users;
        rows.push(row(
            &format!(
                "peak RSS with {} users (every user read, all write scenarios)",
                count(users as f64)
            ),
            format!("{megabytes:.0} MB"),
            String::new(),
            String::new(),
            "≤ 200 MB with 100,000 users",
            (users >= 100_000).then_some(megabytes <= 200.0),
        ));
    }

    // Subscriptions at scale.
    match &results.fanout {
        Some(Maybe::Measured(fanout)) => rows.push(row(
            &format!("fan-out of one change to {} subscriptions over {} connections", count(fanout.subscriptions as f64), fanout.connections),
            format!(
                "p50 {}, p99 {}, max {} ({} of {} delivered); {:.1} KiB per subscription; all registered {:.1} s after subscribing",
                ms(fanout.p50_ms),
                ms(fanout.p99_ms),
                ms(fanout.max_ms),
                count(fanout.delivered as f64),
                count((fanout.subscriptions * fanout.rounds) as f64),
                fanout.kib_per_subscription,
                fanout.registered_s
            ),
            String::new(),
            String::new(),
            "p99 ≤ 100 ms with 10,000 subscriptions",
            (fanout.subscriptions >= 10_000).then_some(
                fanout.p99_ms <= 100.0 && fanout.delivered == (fanout.subscriptions * fanout.rounds) as u64,
            ),
        )),
        other => rows.push(row("subscription fan-out", unavailable(other), String::new(), String::new(), "p99 ≤ 100 ms", None)),
    }
    rows
}

fn per_second(cpu: f64, usage: &Usage) -> f64 {
    if usage.wall_s > 0.0 {
        cpu / usage.wall_s
    } else {
        0.0
    }
}

fn unavailable<T>(value: &Option<Maybe<T>>) -> String {
    match value {
        Some(Maybe::Unavailable { unavailable }) => format!("unavailable: {unavailable}"),
        Some(Maybe::Measured(_)) => String::new(),
        None => NOT_MEASURED.to_owned(),
    }
}
