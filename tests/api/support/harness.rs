//! The harness: every test is a [`Trial`] that builds its own tokio runtime, run by
//! libtest-mimic (so `cargo test -- FILTER`, `--list`, `--ignored`, `--exact` work as usual).
//!
//! Postgres is probed once per run (a login and `SELECT 1`). When it cannot be reached, its
//! trials are listed and reported as ignored, never as passed (`--include-ignored` runs
//! them, and they fail to connect); with `CI=true` they fail with the probe's error.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use libtest_mimic::{Arguments, Trial};
use sea_orm::{ConnectOptions, ConnectionTrait, Database};
use tokio::net::TcpStream;

use super::{TestApp, TestDatabase};

const POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// The kind shown beside a Postgres trial that is ignored because Postgres is unreachable.
const UNREACHABLE: &str = "postgres unreachable";

/// The Postgres server the tests create their databases on (`ROSTERQL_TEST_POSTGRES_URL`).
pub(crate) fn postgres_admin_url() -> String {
    std::env::var("ROSTERQL_TEST_POSTGRES_URL").unwrap_or_else(|_| POSTGRES_ADMIN_URL.to_owned())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn label(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// What a scenario is handed, made fresh for each trial on its backend.
pub(crate) trait Fixture: Sized {
    fn prepare(backend: Backend) -> impl Future<Output = Self>;
}

/// A running server on a fresh database (the usual scenario).
impl Fixture for TestApp {
    fn prepare(backend: Backend) -> impl Future<Output = Self> {
        Self::spawn(backend)
    }
}

/// A fresh database, for a scenario that configures and starts its servers itself.
impl Fixture for TestDatabase {
    fn prepare(backend: Backend) -> impl Future<Output = Self> {
        Self::create(backend)
    }
}

/// Whether this run can use Postgres, decided once by [`probe_postgres`].
enum Postgres {
    Reachable,
    /// Unreachable, outside CI: Postgres trials are ignored.
    Ignored,
    /// Unreachable with `CI=true`: Postgres trials fail with this message.
    Required(String),
}

fn postgres() -> &'static Postgres {
    static POSTGRES: OnceLock<Postgres> = OnceLock::new();
    POSTGRES.get_or_init(probe_postgres)
}

fn probe_postgres() -> Postgres {
    let url = postgres_admin_url();
    let Err(error) = runtime().block_on(log_in(&url)) else {
        return Postgres::Reachable;
    };
    if in_ci() {
        return Postgres::Required(format!(
            "CI=true and Postgres is unreachable at {url}: {error}"
        ));
    }
    eprintln!(
        "\n!!! Postgres is unreachable at {url} ({error}):\n\
         !!! every Postgres test is IGNORED. Start Postgres or set ROSTERQL_TEST_POSTGRES_URL;\n\
         !!! with CI=true they fail instead.\n"
    );
    Postgres::Ignored
}

/// Logs in and runs a query, so a server that accepts connections but not this login
/// counts as unreachable too. A closed port is told at once, without the pool's retries.
async fn log_in(url: &str) -> Result<(), String> {
    let address = reqwest::Url::parse(url).map_err(|error| format!("not a URL: {error}"))?;
    if let Some(host) = address.host_str() {
        let port = address.port().unwrap_or(5432);
        tokio::time::timeout(PROBE_TIMEOUT, TcpStream::connect((host, port)))
            .await
            .map_err(|_| format!("no answer from {host}:{port} within {PROBE_TIMEOUT:?}"))?
            .map_err(|error| format!("{host}:{port}: {error}"))?;
    }
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(1)
        .connect_timeout(PROBE_TIMEOUT)
        .acquire_timeout(PROBE_TIMEOUT)
        .sqlx_logging(false);
    let query = async {
        let connection = Database::connect(options).await?;
        connection.execute_unprepared("SELECT 1").await?;
        connection.close().await
    };
    tokio::time::timeout(2 * PROBE_TIMEOUT, query)
        .await
        .map_err(|_| format!("no login within {:?}", 2 * PROBE_TIMEOUT))?
        .map_err(|error| error.to_string())
}

/// The runtime each trial runs on, as `#[tokio::test(flavor = "multi_thread",
/// worker_threads = 2)]` would build it.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Runs `trials`, in name order, with the command line's options, as libtest would.
/// libtest-mimic takes one name filter; further ones (`cargo test -- a b`) are applied here,
/// a trial running when it matches any of them.
pub(crate) fn run(mut trials: Vec<Trial>) -> ! {
    let (args, filters) = split_filters(std::env::args());
    let mut arguments = Arguments::from_iter(args);
    if filters.len() > 1 {
        let exact = arguments.exact;
        trials.retain(|trial| {
            filters.iter().any(|filter| {
                if exact {
                    trial.name() == filter
                } else {
                    trial.name().contains(filter.as_str())
                }
            })
        });
    } else {
        arguments.filter = filters.into_iter().next();
    }
    trials.sort_by(|a, b| a.name().cmp(b.name()));
    libtest_mimic::run(&arguments, trials).exit()
}

/// The command line without its name filters, and the filters.
fn split_filters(args: impl IntoIterator<Item = String>) -> (Vec<String>, Vec<String>) {
    const TAKES_A_VALUE: [&str; 6] = [
        "--test-threads",
        "--logfile",
        "--skip",
        "--color",
        "--format",
        "-Z",
    ];
    let mut args = args.into_iter();
    let mut options: Vec<String> = args.next().into_iter().collect();
    let mut filters = Vec::new();
    while let Some(arg) = args.next() {
        if TAKES_A_VALUE.contains(&arg.as_str()) {
            options.push(arg);
            options.extend(args.next());
        } else if arg.starts_with('-') {
            options.push(arg);
        } else {
            filters.push(arg);
        }
    }
    (options, filters)
}

/// `api::commands::refusals` → `commands::refusals`.
fn area(module_path: &str) -> &str {
    module_path
        .split_once("::")
        .map_or(module_path, |(_, area)| area)
}

/// The trial `{area}::{backend}::{name}`: `scenario` run on what its [`Fixture`] prepares on
/// `backend`.
pub(crate) fn on<X, F, Fut>(backend: Backend, module_path: &str, name: &str, scenario: F) -> Trial
where
    X: Fixture,
    F: FnOnce(X) -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    let name = format!("{}::{}::{name}", area(module_path), backend.label());
    let run = move || {
        runtime().block_on(async move { scenario(X::prepare(backend).await).await });
        Ok(())
    };
    if backend == Backend::Sqlite {
        return Trial::test(name, run);
    }
    match postgres() {
        Postgres::Reachable => Trial::test(name, run),
        // Still runs with `--ignored` or `--include-ignored`, and then fails to connect.
        Postgres::Ignored => Trial::test(name, run)
            .with_ignored_flag(true)
            .with_kind(UNREACHABLE),
        Postgres::Required(message) => {
            let message = message.clone();
            Trial::test(name, move || Err(message.into()))
        }
    }
}

/// True under `CI=true`, where nothing a test needs may be missing.
pub(crate) fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|ci| ci == "true")
}

/// `trials` of a test that runs an external tool (an npm or PyPI package `.ci/run`
/// installs): ignored, with `missing` beside them, when the tool is not `installed`
/// outside CI; with `CI=true` they run (and fail saying what to install).
pub(crate) fn needs_tool(trials: Vec<Trial>, installed: bool, missing: &'static str) -> Vec<Trial> {
    if installed || in_ci() {
        return trials;
    }
    trials
        .into_iter()
        .map(|trial| trial.with_ignored_flag(true).with_kind(missing))
        .collect()
}

/// The trial `{area}::{name}` of a test that needs no database.
pub(crate) fn no_database(module_path: &str, name: &str, test: fn()) -> Trial {
    Trial::test(format!("{}::{name}", area(module_path)), move || {
        test();
        Ok(())
    })
}

/// The trials of each named scenario on each of `backends`.
macro_rules! on_backends {
    ($backends:expr; $($scenario:ident),+ $(,)?) => {{
        let mut trials = Vec::new();
        $(
            trials.extend($backends.into_iter().map(|backend| {
                $crate::support::harness::on(
                    backend,
                    module_path!(),
                    stringify!($scenario),
                    $scenario,
                )
            }));
        )+
        trials
    }};
}

/// The trials of each named scenario on SQLite and on Postgres. A scenario is an
/// `async fn(app: TestApp)`, handed a running server on a fresh database, or an
/// `async fn(database: TestDatabase)`, handed the fresh database alone to configure and
/// start its own servers on.
macro_rules! on_both_databases {
    ($($scenario:ident),+ $(,)?) => {
        $crate::support::harness::on_backends!(
            [$crate::support::Backend::Sqlite, $crate::support::Backend::Postgres];
            $($scenario),+
        )
    };
}

/// The trials of each named scenario (as for [`on_both_databases`]) on Postgres alone.
macro_rules! on_postgres {
    ($($scenario:ident),+ $(,)?) => {
        $crate::support::harness::on_backends!([$crate::support::Backend::Postgres]; $($scenario),+)
    };
}

/// The trials of plain `fn()` tests that need no database.
macro_rules! without_database {
    ($($test:ident),+ $(,)?) => {
        vec![$(
            $crate::support::harness::no_database(module_path!(), stringify!($test), $test),
        )+]
    };
}

pub(crate) use {on_backends, on_both_databases, on_postgres, without_database};
