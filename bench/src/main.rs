//! `rosterql-bench`: the benchmark of issue 8 in one command. It builds the release
//! `rosterql`, seeds a fresh Postgres database through the command side, runs every scenario
//! against the server and its baselines (the ceiling server, `pgbench`, PostGraphile v5),
//! then the read scenarios on SQLite, and writes `bench.json` and `bench.md`.
//! See BENCHMARKS.md for what each scenario measures.

mod ceiling;
mod cli;
mod fanout;
mod gql;
mod lag;
mod load;
mod meter;
mod pgbench;
mod phase_postgres;
mod phase_sqlite;
mod postgraphile;
mod postgres;
mod proc_stats;
mod report;
mod results;
mod rosterql;
mod runs;
mod server;
mod workloads;
mod ws;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use serde::Serialize;

use crate::cli::{Cli, Internal, Options};
use crate::report::targets::{self, Row};
use crate::results::{Backend, Maybe, Results};
use crate::rosterql::Rosterql;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("rosterql-bench: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = match cli.command {
        Some(Internal::Ceiling { database_url, bind }) => {
            runtime.block_on(ceiling::serve(&database_url, bind))
        }
        None => runtime.block_on(bench(cli.run.resolve())),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("rosterql-bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace this crate belongs to (its parent directory).
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn git_commit(workspace: &Path) -> Option<String> {
    let output = std::process::Command::new("git")
        .current_dir(workspace)
        .args(["describe", "--always", "--dirty"])
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

#[derive(Serialize)]
struct Report<'a> {
    #[serde(flatten)]
    results: &'a Results,
    targets: &'a [Row],
}

/// Writes `bench.json` and `bench.md` from what was measured so far; answers the Markdown.
fn write_report(opts: &Options, results: &Results) -> anyhow::Result<String> {
    let rows = targets::evaluate(results);
    let json = serde_json::to_string_pretty(&Report {
        results,
        targets: &rows,
    })?;
    std::fs::write(opts.out.join("bench.json"), json)?;
    let markdown = report::markdown::render(results, &rows);
    std::fs::write(opts.out.join("bench.md"), &markdown)?;
    Ok(markdown)
}

async fn bench(opts: Options) -> anyhow::Result<()> {
    std::fs::create_dir_all(&opts.out)
        .with_context(|| format!("creating {}", opts.out.display()))?;
    let workspace = workspace();
    let bin = match &opts.rosterql_bin {
        Some(bin) => bin.clone(),
        None => rosterql::build(&workspace).await?,
    };
    let rosterql = Rosterql { bin };
    let mut results = Results {
        started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        quick: opts.quick,
        seconds_per_scenario: opts.duration.as_secs_f64(),
        warmup_seconds: opts.warmup.as_secs_f64(),
        max_rate_seconds: opts.max_rate_duration.as_secs_f64(),
        connections: opts.connections,
        writers: opts.writers,
        cores: proc_stats::cores(),
        git_commit: git_commit(&workspace),
        postgres: Backend::default(),
        pgbench: None,
        pgbench_with_notify: None,
        catch_up_after_pgbench: None,
        rebuild: None,
        postgraphile: None,
        fanout: None,
        sqlite: None,
    };
    if let Err(error) = phase_postgres::run(&opts, &rosterql, &mut results).await {
        eprintln!("rosterql-bench: the Postgres scenarios stopped early: {error:#}");
        results
            .postgres
            .notes
            .push(format!("the Postgres scenarios stopped early: {error:#}"));
    }
    // Written now and again at the end: an interrupted run still leaves the Postgres figures.
    write_report(&opts, &results)?;
    if opts.sqlite {
        results.sqlite = Some(Maybe::from_result(
            phase_sqlite::run(&opts, &rosterql).await,
        ));
    }
    let markdown = write_report(&opts, &results)?;
    println!("{markdown}");
    eprintln!(
        "rosterql-bench: wrote {} and {}",
        opts.out.join("bench.json").display(),
        opts.out.join("bench.md").display()
    );
    Ok(())
}
