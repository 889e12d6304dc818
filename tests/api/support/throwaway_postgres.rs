//! A Postgres cluster a test owns: `initdb` into a temp dir and `pg_ctl start` on a free
//! port of 127.0.0.1, so the test may stop and restart it (never the machine's shared
//! cluster). Postgres refuses to run as root: when the tests run as root, every `initdb` and
//! `pg_ctl` runs as the `postgres` OS user (`runuser`), in a dir it owns.
//!
//! Made for speed, not durability across power loss: `--no-sync`, `fsync = off`. Commits
//! stay synchronous (`synchronous_commit` is left on), so an acknowledged commit has reached
//! the OS before the client hears of it and survives `pg_ctl stop -m immediate`, which kills
//! the server processes, not the machine.
//!
//! `initdb` and `pg_ctl` are found through `pg_config --bindir` (or Debian's
//! `/usr/lib/postgresql/15/bin`), or in the dir `ROSTERQL_TEST_PG_BINDIR` names. Trials that
//! need a cluster go through [`gate`]: without those tools they are ignored, or fail with
//! `CI=true`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use libtest_mimic::Trial;
use sea_orm::{ConnectionTrait, Database};

use super::Backend;
use super::harness::Fixture;

/// The OS user Postgres runs as when the tests run as root.
const POSTGRES_USER: &str = "postgres";
/// Where Debian's postgresql-15 puts its server binaries, when `pg_config` is missing.
const DEBIAN_BINDIR: &str = "/usr/lib/postgresql/15/bin";
/// Names the dir of `initdb` and `pg_ctl` instead of looking for them.
const BINDIR_VARIABLE: &str = "ROSTERQL_TEST_PG_BINDIR";
/// How long `pg_ctl` waits for the server to start or stop.
const PG_CTL_WAIT_SECONDS: &str = "30";

/// How the cluster is shut down (`pg_ctl stop -m …`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shutdown {
    /// Clients are disconnected (`57P01`), then a checkpoint: an operator's restart.
    Fast,
    /// Every server process is killed; the next start recovers from the WAL: a crash.
    Immediate,
}

impl Shutdown {
    fn mode(self) -> &'static str {
        match self {
            Self::Fast => "fast",
            Self::Immediate => "immediate",
        }
    }
}

/// A running (or stopped) cluster of the test's own; dropping it stops it and removes its
/// files.
pub(crate) struct ThrowawayPostgres {
    tools: Tools,
    port: u16,
    running: bool,
    /// Holds `data/`, the Unix socket and `server.log`; removed on drop.
    dir: tempfile::TempDir,
}

/// Where the binaries are, and whether they must run as [`POSTGRES_USER`].
#[derive(Debug, Clone)]
struct Tools {
    bindir: PathBuf,
    as_postgres: bool,
}

impl Tools {
    /// `program` from the bindir, run as [`POSTGRES_USER`] when we are root, in `dir`.
    fn command(&self, program: &str, dir: &Path) -> Command {
        let path = self.bindir.join(program);
        let mut command = if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", POSTGRES_USER, "--"]).arg(path);
            command
        } else {
            Command::new(path)
        };
        // The connection defaults of the test's environment must not steer the tools.
        for name in ["PGDATA", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE"] {
            command.env_remove(name);
        }
        command.current_dir(dir);
        command
    }
}

/// Runs `command`; its output, or why it failed.
fn run(mut command: Command) -> Result<Output, String> {
    let shown = format!("{command:?}");
    let output = command
        .output()
        .map_err(|error| format!("{shown} did not start: {error}"))?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(format!(
            "{shown} exited with {}:\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// The tools, or why a throwaway cluster cannot be made on this machine (looked up once).
fn tools() -> Result<Tools, String> {
    static TOOLS: OnceLock<Result<Tools, String>> = OnceLock::new();
    TOOLS.get_or_init(find_tools).clone()
}

fn find_tools() -> Result<Tools, String> {
    let has_tools = |dir: &PathBuf| {
        ["initdb", "pg_ctl"]
            .iter()
            .all(|tool| dir.join(tool).is_file())
    };
    let bindir = if let Ok(dir) = std::env::var(BINDIR_VARIABLE) {
        Some(PathBuf::from(&dir))
            .filter(has_tools)
            .ok_or_else(|| format!("no initdb and pg_ctl in {BINDIR_VARIABLE}={dir}"))?
    } else {
        let from_pg_config = Command::new("pg_config")
            .arg("--bindir")
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|output| PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()));
        from_pg_config
            .into_iter()
            .chain([PathBuf::from(DEBIAN_BINDIR)])
            .find(has_tools)
            .ok_or_else(|| {
                format!(
                    "no initdb and pg_ctl (looked in `pg_config --bindir` and {DEBIAN_BINDIR}); \
                     install the Postgres server package or set {BINDIR_VARIABLE}"
                )
            })?
    };
    let as_postgres = running_as_root()?;
    if as_postgres {
        run({
            let mut command = Command::new("runuser");
            command.args(["-u", POSTGRES_USER, "--", "true"]);
            command
        })
        .map_err(|error| {
            format!(
                "running as root, and cannot run a command as the {POSTGRES_USER:?} user: {error}"
            )
        })?;
    }
    Ok(Tools {
        bindir,
        as_postgres,
    })
}

/// Whether this process runs as root (the owner of `/proc/self` is the effective user).
fn running_as_root() -> Result<bool, String> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|metadata| metadata.uid() == 0)
        .map_err(|error| format!("cannot tell which user this is (/proc/self: {error})"))
}

/// A port of 127.0.0.1 nobody listens on now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

impl ThrowawayPostgres {
    /// A new cluster, started. Fails the test when it cannot be made.
    pub(crate) async fn create() -> Self {
        let tools = tools().unwrap_or_else(|reason| panic!("no throwaway Postgres: {reason}"));
        tokio::task::spawn_blocking(move || Self::create_blocking(tools))
            .await
            .expect("the cluster setup does not panic")
    }

    fn create_blocking(tools: Tools) -> Self {
        // /tmp rather than $TMPDIR: the postgres user must be able to reach the dir.
        let dir = if tools.as_postgres {
            tempfile::Builder::new()
                .prefix("rosterql-pg-")
                .tempdir_in("/tmp")
        } else {
            tempfile::Builder::new().prefix("rosterql-pg-").tempdir()
        }
        .expect("a temp dir");
        if tools.as_postgres {
            run({
                let mut command = Command::new("chown");
                command.arg(format!("{POSTGRES_USER}:")).arg(dir.path());
                command
            })
            .unwrap_or_else(|error| panic!("the temp dir goes to {POSTGRES_USER}: {error}"));
        }
        run({
            let mut command = tools.command("initdb", dir.path());
            command.arg("--pgdata").arg(dir.path().join("data")).args([
                "--auth=trust",
                "--username=postgres",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ]);
            command
        })
        .unwrap_or_else(|error| panic!("initdb: {error}"));
        let mut cluster = Self {
            tools,
            port: 0,
            running: false,
            dir,
        };
        // A port found free may be taken before the server binds it: try another.
        let mut failures = Vec::new();
        for _ in 0..3 {
            cluster.port = free_port();
            cluster.configure();
            match cluster.start_blocking() {
                Ok(()) => return cluster,
                Err(error) => failures.push(error),
            }
        }
        panic!(
            "the throwaway cluster never started:\n{}\n{}",
            failures.join("\n"),
            cluster.log()
        );
    }

    /// Writes the port and the settings into `postgresql.conf` (the last setting wins, so
    /// rewriting appends), where every later start finds them.
    fn configure(&self) {
        use std::io::Write;
        let settings = format!(
            "\n# rosterql test cluster\n\
             listen_addresses = '127.0.0.1'\n\
             port = {port}\n\
             unix_socket_directories = '{socket}'\n\
             fsync = off\n\
             full_page_writes = off\n\
             max_connections = 200\n",
            port = self.port,
            socket = self.dir.path().display(),
        );
        std::fs::OpenOptions::new()
            .append(true)
            .open(self.data().join("postgresql.conf"))
            .and_then(|mut file| file.write_all(settings.as_bytes()))
            .expect("postgresql.conf takes the test settings");
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The URL of the `postgres` database, as the superuser `postgres`.
    pub(crate) fn url(&self) -> String {
        self.database_url("postgres")
    }

    fn database_url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates the database `name`; returns its URL.
    pub(crate) async fn create_database(&self, name: &str) -> String {
        let admin = Database::connect(self.url())
            .await
            .unwrap_or_else(|error| panic!("the throwaway cluster answers: {error}"));
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap_or_else(|error| panic!("creating database {name}: {error}"));
        let _ = admin.close().await;
        self.database_url(name)
    }

    /// Stops the server in `mode`, returning once it is down.
    pub(crate) async fn stop_with(&mut self, mode: Shutdown) {
        let command = self.pg_ctl_stop(mode);
        tokio::task::spawn_blocking(move || run(command))
            .await
            .expect("pg_ctl does not panic")
            .unwrap_or_else(|error| panic!("pg_ctl stop: {error}"));
        self.running = false;
    }

    /// Starts the server again, on the same port and data dir, returning once it accepts
    /// connections.
    pub(crate) async fn start(&mut self) {
        let command = self.pg_ctl_start();
        let started = tokio::task::spawn_blocking(move || run(command))
            .await
            .expect("pg_ctl does not panic");
        if let Err(error) = started {
            panic!("pg_ctl start: {error}\n{}", self.log());
        }
        self.running = true;
    }

    fn start_blocking(&mut self) -> Result<(), String> {
        run(self.pg_ctl_start())?;
        self.running = true;
        Ok(())
    }

    fn pg_ctl_start(&self) -> Command {
        let mut command = self.tools.command("pg_ctl", self.dir.path());
        command
            .arg("--pgdata")
            .arg(self.data())
            .arg("--log")
            .arg(self.dir.path().join("server.log"))
            .args(["--wait", "--timeout", PG_CTL_WAIT_SECONDS, "start"]);
        command
    }

    fn pg_ctl_stop(&self, mode: Shutdown) -> Command {
        let mut command = self.tools.command("pg_ctl", self.dir.path());
        command.arg("--pgdata").arg(self.data()).args([
            "--mode",
            mode.mode(),
            "--wait",
            "--timeout",
            PG_CTL_WAIT_SECONDS,
            "stop",
        ]);
        command
    }

    /// The server's log so far (for a failure's message).
    pub(crate) fn log(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
        format!("--- throwaway Postgres log ---\n{log}")
    }
}

impl Drop for ThrowawayPostgres {
    fn drop(&mut self) {
        if !self.running {
            return;
        }
        if run(self.pg_ctl_stop(Shutdown::Immediate)).is_ok() {
            return;
        }
        // pg_ctl could not stop it: kill the postmaster by its id, or its processes would
        // outlive the removed dir.
        let pid = std::fs::read_to_string(self.data().join("postmaster.pid"))
            .ok()
            .and_then(|file| file.lines().next().map(str::to_owned));
        if let Some(pid) = pid {
            let _ = Command::new("kill").args(["-KILL", pid.trim()]).status();
        }
    }
}

/// A Postgres trial handed a throwaway cluster instead of a database on the shared one.
impl Fixture for ThrowawayPostgres {
    async fn prepare(backend: Backend) -> Self {
        assert_eq!(
            backend,
            Backend::Postgres,
            "a throwaway cluster is Postgres"
        );
        Self::create().await
    }
}

/// `trials` as they may run here: when no throwaway cluster can be made, each is ignored
/// (with a banner saying why), or fails with `CI=true`.
pub(crate) fn gate(trials: Vec<Trial>) -> Vec<Trial> {
    let Err(reason) = tools() else {
        return trials;
    };
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        return trials
            .into_iter()
            .map(|trial| {
                let message = format!("CI=true and no throwaway Postgres can be made: {reason}");
                Trial::test(trial.name(), move || Err(message.into()))
            })
            .collect();
    }
    if !trials.is_empty() {
        eprintln!(
            "\n!!! No throwaway Postgres cluster ({reason}):\n\
             !!! the tests that restart Postgres are IGNORED; with CI=true they fail instead.\n"
        );
    }
    trials
        .into_iter()
        .map(|trial| trial.with_ignored_flag(true).with_kind("no initdb"))
        .collect()
}
