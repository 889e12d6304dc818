//! The SQLite half: a seeded SQLite file served by the same release binary, and the read
//! scenarios only (`user(id)`, a page with and without `totalCount`); no baselines.

use std::time::Duration;

use crate::cli::Options;
use crate::gql;
use crate::phase_postgres::{endpoints, load_data, page_reads, sweep, user_reads};
use crate::results::Backend;
use crate::rosterql::Rosterql;
use crate::runs::{Bench, Target};
use crate::workloads::Api;

pub(crate) async fn run(opts: &Options, rosterql: &Rosterql) -> anyhow::Result<Backend> {
    let file = std::path::absolute(opts.out.join("bench.sqlite"))?;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let outcome = run_on(opts, rosterql, &url).await;
    if !opts.keep_databases {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
    }
    outcome
}

async fn run_on(opts: &Options, rosterql: &Rosterql, url: &str) -> anyhow::Result<Backend> {
    let mut backend = Backend {
        users: opts.sqlite_users,
        organizations: opts.organizations,
        ..Backend::default()
    };
    eprintln!(
        "bench: seeding {} users in {} organizations (SQLite)",
        opts.sqlite_users, opts.organizations
    );
    backend.seed_seconds = rosterql
        .seed(url, opts.organizations, opts.sqlite_users)
        .await?
        .as_secs_f64();
    let token = rosterql.admin_token(url).await?;
    let server = rosterql
        .serve(url, &opts.out.join("rosterql-sqlite.log"))
        .await?;
    let (reads, writes, ws) = endpoints(&server, &token);
    backend.initial_catch_up = Some(gql::wait_caught_up(&reads, Duration::from_secs(1800)).await?);
    let data = load_data(&reads).await?;
    backend.cold_sweep = Some(sweep(opts, &reads, &data.ids).await?);
    let bench = Bench { opts, pg: None };
    let target = Target {
        server: &server,
        reads,
        writes: Some(writes),
        ws_url: Some(ws),
    };
    let user = bench
        .run(
            "user(id), random ids, cached (SQLite)",
            &target,
            Some(user_reads(Api::Rosterql, &data.ids)),
            None,
        )
        .await?;
    backend.runs.insert("user_by_id".to_owned(), user);
    let page = bench
        .run(
            "users(organizationId, first: 20), no totalCount (SQLite)",
            &target,
            Some(page_reads(Api::Rosterql, false, &data.organizations)),
            None,
        )
        .await?;
    backend.runs.insert("users_page".to_owned(), page);
    let counted = bench
        .run(
            "users(organizationId, first: 20) with totalCount (SQLite)",
            &target,
            Some(page_reads(Api::Rosterql, true, &data.organizations)),
            None,
        )
        .await?;
    backend.runs.insert("users_page_count".to_owned(), counted);
    backend.peak_rss_mib = crate::proc_stats::memory(&server.pid.to_string())
        .ok()
        .map(|memory| memory.hwm_kib as f64 / 1024.0);
    server.stop().await?;
    Ok(backend)
}
