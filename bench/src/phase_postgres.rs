//! The Postgres half of the benchmark, in order: a fresh database seeded through the command
//! side; the release server catching up on the seed; reads on rosterql, the ceiling server
//! and PostGraphile, back to back; writes, lag and reads under writes; the highest write
//! rate; pgbench with the server stopped, then the server catching up on pgbench's events;
//! `rebuild-projections`; the subscription fan-out.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use hyper::StatusCode;
use tokio::process::Command;

use crate::cli::Options;
use crate::fanout::{self, Fanout, FanoutResult};
use crate::gql;
use crate::load::conn::Conn;
use crate::load::{Client, Endpoint, Plan};
use crate::meter::PgWatch;
use crate::pgbench::{self, PgbenchResult};
use crate::postgraphile;
use crate::postgres::{self, PgServer};
use crate::results::{Maybe, Rebuild, Results, Run};
use crate::rosterql::Rosterql;
use crate::runs::{Bench, ReadClients, Target, Writes};
use crate::server::{Server, free_port};
use crate::workloads::{Api, UserById, UsersPage, WriteSet};

/// Connections of the fan-out, and subscriptions on each.
const FANOUT_FULL: (usize, usize) = (200, 50);
const FANOUT_QUICK: (usize, usize) = (20, 50);

/// The data every scenario draws from.
pub(crate) struct Data {
    pub ids: Arc<Vec<String>>,
    pub organizations: Arc<Vec<String>>,
    pub writes: Arc<WriteSet>,
}

/// Reads every user id and version and every organization id through the server.
pub(crate) async fn load_data(endpoint: &Endpoint) -> anyhow::Result<Data> {
    let users = gql::all_users(endpoint).await?;
    let organizations = gql::all_organizations(endpoint).await?;
    Ok(Data {
        ids: Arc::new(users.iter().map(|(id, _)| id.clone()).collect()),
        organizations: Arc::new(organizations),
        writes: Arc::new(WriteSet::new(users)),
    })
}

pub(crate) fn endpoints(server: &Server, token: &str) -> (Endpoint, Endpoint, String) {
    let reads = Endpoint {
        addr: server.addr,
        path: "/graphql".to_owned(),
        authorization: None,
    };
    let writes = Endpoint {
        authorization: Some(format!("Bearer {token}")),
        ..reads.clone()
    };
    let ws = format!("ws://{}/graphql/ws", server.addr);
    (reads, writes, ws)
}

pub(crate) fn user_reads(api: Api, ids: &Arc<Vec<String>>) -> ReadClients {
    let ids = ids.clone();
    Box::new(move |index| -> Box<dyn Client> {
        Box::new(UserById::random(api, ids.clone(), index as u64))
    })
}

pub(crate) fn page_reads(
    api: Api,
    with_count: bool,
    organizations: &Arc<Vec<String>>,
) -> ReadClients {
    let organizations = organizations.clone();
    Box::new(move |index| -> Box<dyn Client> {
        Box::new(UsersPage::new(
            api,
            with_count,
            organizations.clone(),
            index as u64,
        ))
    })
}

/// Reads every user once, to fill rosterql's cache (and to time reads from a cold cache).
pub(crate) async fn sweep(
    opts: &Options,
    endpoint: &Endpoint,
    ids: &Arc<Vec<String>>,
) -> anyhow::Result<crate::load::LoadSummary> {
    let connections = opts.connections;
    let plan = Plan {
        connections,
        warmup: Duration::ZERO,
        duration: Duration::from_secs(3600),
        rate: None,
    };
    let ids = ids.clone();
    crate::load::run(endpoint, plan, move |index| -> Box<dyn Client> {
        Box::new(UserById::sweep(
            Api::Rosterql,
            ids.clone(),
            index,
            connections,
        ))
    })
    .await
}

async fn start_ceiling(database_url: &str, log: &Path) -> anyhow::Result<Server> {
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()?));
    let mut command = Command::new(std::env::current_exe()?);
    command
        .arg("ceiling")
        .arg("--database-url")
        .arg(database_url)
        .arg("--bind")
        .arg(addr.to_string());
    let mut server = Server::spawn("ceiling", command, addr, log)?;
    server
        .wait_ready("/healthz", Duration::from_secs(120))
        .await?;
    Ok(server)
}

fn reads_target(server: &Server) -> Target<'_> {
    Target {
        server,
        reads: Endpoint {
            addr: server.addr,
            path: "/graphql".to_owned(),
            authorization: None,
        },
        writes: None,
        ws_url: None,
    }
}

/// Runs the Postgres half, filling `results`.
pub(crate) async fn run(
    opts: &Options,
    rosterql: &Rosterql,
    results: &mut Results,
) -> anyhow::Result<()> {
    let pg = PgServer::new(&opts.postgres);
    let database = format!("rosterql_bench_{}", std::process::id());
    pg.create_database(&database).await?;
    let url = pg.url(&database);
    let outcome = run_on(opts, rosterql, &pg, &database, &url, results).await;
    if opts.keep_databases {
        eprintln!("bench: kept database {url}");
    } else if let Err(error) = pg.drop_database(&database).await {
        eprintln!("bench: could not drop {database}: {error:#}");
    }
    outcome
}

async fn run_on(
    opts: &Options,
    rosterql: &Rosterql,
    pg: &PgServer,
    database: &str,
    url: &str,
    results: &mut Results,
) -> anyhow::Result<()> {
    let out = &opts.out;
    let admin = pg.connect(database).await?;
    let watch = PgWatch {
        server: pg,
        client: &admin,
        database,
    };
    let bench = Bench {
        opts,
        pg: Some(watch),
    };
    let backend = &mut results.postgres;
    backend.users = opts.users;
    backend.organizations = opts.organizations;

    eprintln!(
        "bench: seeding {} users in {} organizations (Postgres)",
        opts.users, opts.organizations
    );
    backend.seed_seconds = rosterql
        .seed(url, opts.organizations, opts.users)
        .await?
        .as_secs_f64();
    let token = rosterql.admin_token(url).await?;
    let mut server = rosterql
        .serve(url, &out.join("rosterql-postgres.log"))
        .await?;
    let (reads, writes, ws) = endpoints(&server, &token);
    backend.initial_catch_up = Some(gql::wait_caught_up(&reads, Duration::from_secs(1800)).await?);
    let data = load_data(&reads).await?;
    backend.cold_sweep = Some(sweep(opts, &reads, &data.ids).await?);

    // Reads, each baseline right after rosterql's run of the same query.
    let ceiling = start_ceiling(url, &out.join("ceiling.log")).await;
    let graphile = if opts.postgraphile {
        Some(postgraphile::start(&opts.postgraphile_dir, url, &out.join("postgraphile.log")).await)
    } else {
        None
    };
    let rosterql_target = Target {
        server: &server,
        reads: reads.clone(),
        writes: Some(writes.clone()),
        ws_url: Some(ws.clone()),
    };
    let mut runs: Vec<(&str, Run)> = Vec::new();
    runs.push((
        "user_by_id",
        bench
            .run(
                "user(id), random ids, cached",
                &rosterql_target,
                Some(user_reads(Api::Rosterql, &data.ids)),
                None,
            )
            .await?,
    ));
    match &ceiling {
        Ok(ceiling) => runs.push((
            "ceiling_user_by_id",
            bench
                .run(
                    "ceiling server: user(id) from a pre-filled moka cache",
                    &reads_target(ceiling),
                    Some(user_reads(Api::Rosterql, &data.ids)),
                    None,
                )
                .await?,
        )),
        Err(error) => backend
            .notes
            .push(format!("ceiling server unavailable: {error:#}")),
    }
    if let Some(Ok(graphile)) = &graphile {
        runs.push((
            "postgraphile_user_by_pk",
            bench
                .run(
                    "PostGraphile: userProfileByRowId",
                    &reads_target(graphile),
                    Some(user_reads(Api::PostGraphile, &data.ids)),
                    None,
                )
                .await?,
        ));
    }
    runs.push((
        "users_page",
        bench
            .run(
                "users(organizationId, first: 20), no totalCount",
                &rosterql_target,
                Some(page_reads(Api::Rosterql, false, &data.organizations)),
                None,
            )
            .await?,
    ));
    if let Some(Ok(graphile)) = &graphile {
        runs.push((
            "postgraphile_page",
            bench
                .run(
                    "PostGraphile: allUserProfiles(condition, first: 20, orderBy), no totalCount",
                    &reads_target(graphile),
                    Some(page_reads(Api::PostGraphile, false, &data.organizations)),
                    None,
                )
                .await?,
        ));
    }
    runs.push((
        "users_page_count",
        bench
            .run(
                "users(organizationId, first: 20) with totalCount",
                &rosterql_target,
                Some(page_reads(Api::Rosterql, true, &data.organizations)),
                None,
            )
            .await?,
    ));
    if let Some(Ok(graphile)) = &graphile {
        runs.push((
            "postgraphile_page_count",
            bench
                .run(
                    "PostGraphile: allUserProfiles(…) with totalCount",
                    &reads_target(graphile),
                    Some(page_reads(Api::PostGraphile, true, &data.organizations)),
                    None,
                )
                .await?,
        ));
    }
    if let Ok(ceiling) = ceiling {
        ceiling.stop().await?;
    }
    results.postgraphile = match graphile {
        Some(Ok(graphile)) => {
            graphile.stop().await?;
            Some(Maybe::Measured(
                "postgraphile@5.1.5 on node 22 (Amber preset)".to_owned(),
            ))
        }
        Some(Err(error)) => Some(Maybe::Unavailable {
            unavailable: format!("{error:#}"),
        }),
        None => Some(Maybe::Unavailable {
            unavailable: "skipped (--no-postgraphile)".to_owned(),
        }),
    };

    // Writes, lag, and reads under writes.
    let writes_at = |rate: Option<f64>, lag: bool, duration: Duration| Writes {
        set: data.writes.clone(),
        rate,
        lag,
        duration,
    };
    runs.push((
        "writes",
        bench
            .run(
                "renameUser, closed loop",
                &rosterql_target,
                None,
                Some(writes_at(None, false, opts.duration)),
            )
            .await?,
    ));
    runs.push((
        "lag_500_no_reads",
        bench
            .run(
                "500 renameUser/s, no reads: projection lag",
                &rosterql_target,
                None,
                Some(writes_at(Some(500.0), true, opts.duration)),
            )
            .await?,
    ));
    runs.push((
        "reads_only_before",
        bench
            .run(
                "user(id), read-only (before the mixed runs)",
                &rosterql_target,
                Some(user_reads(Api::Rosterql, &data.ids)),
                None,
            )
            .await?,
    ));
    runs.push((
        "reads_100_writes",
        bench
            .run(
                "user(id) at full speed with 100 renameUser/s",
                &rosterql_target,
                Some(user_reads(Api::Rosterql, &data.ids)),
                Some(writes_at(Some(100.0), true, opts.duration)),
            )
            .await?,
    ));
    runs.push((
        "reads_500_writes",
        bench
            .run(
                "user(id) at full speed with 500 renameUser/s: reads and projection lag",
                &rosterql_target,
                Some(user_reads(Api::Rosterql, &data.ids)),
                Some(writes_at(Some(500.0), true, opts.duration)),
            )
            .await?,
    ));
    runs.push((
        "reads_only_after",
        bench
            .run(
                "user(id), read-only (after the mixed runs)",
                &rosterql_target,
                Some(user_reads(Api::Rosterql, &data.ids)),
                None,
            )
            .await?,
    ));
    runs.push((
        "lag_max_rate",
        bench
            .run(
                "renameUser as fast as accepted: projection lag over a long run",
                &rosterql_target,
                None,
                Some(writes_at(None, true, opts.max_rate_duration)),
            )
            .await?,
    ));
    backend.peak_rss_mib = crate::proc_stats::memory(&server.pid.to_string())
        .ok()
        .map(|memory| memory.hwm_kib as f64 / 1024.0);
    for (id, run) in runs {
        backend.runs.insert(id.to_owned(), run);
    }
    server.stop().await?;

    // pgbench with the server stopped; the restarted projector then catches up on its events.
    results.pgbench = Some(Maybe::from_result(
        run_pgbench(opts, &admin, url, false).await,
    ));
    results.pgbench_with_notify = Some(Maybe::from_result(
        run_pgbench(opts, &admin, url, true).await,
    ));
    server = rosterql
        .serve(url, &out.join("rosterql-postgres-2.log"))
        .await?;
    let (reads, writes, ws) = endpoints(&server, &token);
    results.catch_up_after_pgbench = Some(Maybe::from_result(
        gql::wait_caught_up(&reads, Duration::from_secs(1800)).await,
    ));
    if opts.fanout {
        results.fanout = Some(Maybe::from_result(
            run_fanout(opts, &server, &writes, &ws, &reads).await,
        ));
    }
    results.rebuild = Some(Maybe::from_result(
        run_rebuild(rosterql, &admin, url, &reads).await,
    ));
    server.stop().await?;
    Ok(())
}

async fn run_pgbench(
    opts: &Options,
    admin: &tokio_postgres::Client,
    url: &str,
    notify: bool,
) -> anyhow::Result<PgbenchResult> {
    eprintln!(
        "bench: pgbench, {} clients{}",
        opts.writers,
        if notify { ", with pg_notify" } else { "" }
    );
    let users = pgbench::prepare(admin).await?;
    let seconds = opts.duration.as_secs().max(1);
    pgbench::run(url, users, opts.writers, seconds, notify, &opts.out).await
}

/// `rosterql rebuild-projections` beside the serving server, with one connection reading a
/// page of users back to back all along (from the tables, not the cache): the slowest read
/// is the longest one waited for the swap.
async fn run_rebuild(
    rosterql: &Rosterql,
    admin: &tokio_postgres::Client,
    url: &str,
    reads: &Endpoint,
) -> anyhow::Result<Rebuild> {
    eprintln!("bench: rosterql rebuild-projections, beside reads");
    let events = postgres::count(admin, "SELECT count(*) FROM events").await?;
    let rebuilding = AtomicBool::new(true);
    let rebuild = async {
        let took = rosterql.rebuild(url).await;
        rebuilding.store(false, Ordering::Release);
        took
    };
    let reader = async {
        let page = Bytes::from_static(br#"{"query":"{ users(first: 20) { nodes { id name } } }"}"#);
        let mut conn = Conn::to(reads).await?;
        let (mut count, mut slowest) = (0_u64, Duration::ZERO);
        while rebuilding.load(Ordering::Acquire) {
            let sent = Instant::now();
            let (status, body) = conn.post(page.clone()).await?;
            slowest = slowest.max(sent.elapsed());
            anyhow::ensure!(
                status == StatusCode::OK && !body.windows(8).any(|w| w == b"\"errors\""),
                "a read during the rebuild failed: {status} {}",
                String::from_utf8_lossy(&body)
            );
            count += 1;
        }
        anyhow::Ok((count, slowest))
    };
    let (took, read) = tokio::join!(rebuild, reader);
    let seconds = took?.as_secs_f64();
    let (reads, slowest) = read?;
    Ok(Rebuild {
        events,
        seconds,
        events_per_second: events as f64 / seconds,
        reads,
        slowest_read_ms: slowest.as_secs_f64() * 1e3,
    })
}

async fn run_fanout(
    opts: &Options,
    server: &Server,
    writes: &Endpoint,
    ws: &str,
    reads: &Endpoint,
) -> anyhow::Result<FanoutResult> {
    let (connections, per_connection) = if opts.quick {
        FANOUT_QUICK
    } else {
        FANOUT_FULL
    };
    eprintln!(
        "bench: fan-out to {} subscriptions",
        connections * per_connection
    );
    let data = gql::request(
        reads,
        "{ users(first: 1) { nodes { id version } } }",
        serde_json::Value::Null,
    )
    .await?;
    let user = &data["users"]["nodes"][0];
    let id = user["id"].as_str().context("no user to rename")?;
    let version = user["version"].as_i64().context("a user without version")? as i32;
    let rounds = if opts.quick { 3 } else { 10 };
    fanout::run(Fanout {
        endpoint: writes,
        ws_url: ws,
        pid: server.pid,
        user: id,
        version,
        connections,
        per_connection,
        rounds,
    })
    .await
}
