//! The real `rosterql` binary serving in a process of its own, for what a server inside the
//! test process cannot show: metrics of its own (the recorder is process-wide), its log, its
//! configuration from the environment, an exit of its own. And the binary run once, as an
//! operator runs `rosterql migrate` or `rosterql rebuild-projections`, or refusing to start.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use regex::Regex;

use super::app::{JWT_SECRET, WAIT};

/// The configuration variables a test server process must not inherit.
const CONFIGURATION: &[&str] = &[
    "DATABASE_URL",
    "READ_DATABASE_URL",
    "ROSTERQL_BIND",
    "ROSTERQL_JWT_SECRET",
    "ROSTERQL_JWT_PUBLIC_KEY_FILE",
    "ROSTERQL_JWT_ALGORITHM",
    "ROSTERQL_JWT_LEEWAY",
    "ROSTERQL_JWT_ISSUER",
    "ROSTERQL_JWT_AUDIENCE",
    "ROSTERQL_INTROSPECTION",
    "ROSTERQL_CONSISTENCY_TIMEOUT",
    "ROSTERQL_PROJECTOR_POLL",
    "ROSTERQL_CHANGE_BUFFER",
    "ROSTERQL_CACHE_CAPACITY",
    "ROSTERQL_INSTANCE",
    "ROSTERQL_LEADER_RETRY",
    "ROSTERQL_MAX_PROJECTION_LAG",
    "ROSTERQL_PARKED_EVENTS_READINESS",
    "ROSTERQL_SHUTDOWN_DELAY",
    "ROSTERQL_PUBLIC_MAX_AGE",
    "ROSTERQL_LOG_FORMAT",
    "ROSTERQL_SHUTDOWN_TIMEOUT",
    "ROSTERQL_DATABASE_TIMEOUT",
    "ROSTERQL_MAX_WRITE_AHEAD",
    "ROSTERQL_WS_INIT_TIMEOUT",
    "ROSTERQL_WS_PING_INTERVAL",
    "ROSTERQL_WS_MAX_SUBSCRIPTIONS",
    "ROSTERQL_WS_MAX_CONNECTIONS_PER_CALLER",
    "ROSTERQL_WS_SEND_QUEUE",
    "ROSTERQL_WS_SEND_TIMEOUT",
    "ROSTERQL_MAX_BATCH",
    "ROSTERQL_MAX_QUERY_BYTES",
    "ROSTERQL_MAX_DEPTH",
    "ROSTERQL_MAX_COMPLEXITY",
    "ROSTERQL_MAX_ALIASES",
    "ROSTERQL_MAX_ROOT_FIELDS",
    "ROSTERQL_MAX_DIRECTIVES",
    "ROSTERQL_EXECUTION_TIMEOUT",
    "ROSTERQL_STATEMENT_TIMEOUT",
    "ROSTERQL_MAX_BODY_BYTES",
    "ROSTERQL_RATE_LIMIT_MUTATIONS",
    "ROSTERQL_RATE_LIMIT_ANONYMOUS_READS",
    "RUST_LOG",
];

pub(super) struct ServerProcess {
    child: SharedChild,
    pub(super) port: u16,
    log: Arc<Mutex<Vec<String>>>,
}

impl ServerProcess {
    /// Starts `rosterql serve` on `database_url` with the test configuration, `env` on top
    /// (an empty value removes the variable), and waits until it listens.
    pub(super) async fn start(database_url: &str, env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_rosterql"));
        for name in CONFIGURATION {
            command.env_remove(name);
        }
        let defaults = [
            ("DATABASE_URL", database_url),
            ("ROSTERQL_BIND", "127.0.0.1:0"),
            ("ROSTERQL_JWT_SECRET", JWT_SECRET),
            ("ROSTERQL_PROJECTOR_POLL", "100ms"),
            ("RUST_LOG", "info"),
        ];
        for (name, value) in defaults.iter().chain(env) {
            if value.is_empty() {
                command.env_remove(name);
            } else {
                command.env(name, value);
            }
        }
        let child = command
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let child = SharedChild(Arc::new(Mutex::new(child)));
        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.lock().stderr.take().expect("a piped stderr");
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                lines.lock().expect("the log").push(line);
            }
        });
        let mut process = Self {
            child,
            port: 0,
            log,
        };
        process.port = process.wait_for_port().await;
        process
    }

    async fn wait_for_port(&mut self) -> u16 {
        let serving = Regex::new(r"serving GraphiQL at http://[^:]+:(\d+)/").expect("a pattern");
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let port = self.log().iter().find_map(|line| {
                let port = serving.captures(line)?.get(1)?;
                port.as_str().parse().ok()
            });
            if let Some(port) = port {
                return port;
            }
            if let Some(status) = self.child.exited() {
                panic!("the server exited with {status}: {:#?}", self.log());
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the server never listened: {:#?}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Every line written to stderr so far, as written.
    pub(super) fn log(&self) -> Vec<String> {
        self.log.lock().expect("the log").clone()
    }

    /// The process, for any task to ask whether it has exited.
    pub(super) fn child(&self) -> SharedChild {
        self.child.clone()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let mut child = self.child.lock();
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Runs `rosterql args…` to its end (on a blocking thread), the command side on
/// `database_url` and the read side on `read_database_url` (None: the same database), with
/// nothing inherited from the environment that could change its configuration; it must
/// succeed.
pub(crate) async fn run_rosterql(
    database_url: &str,
    read_database_url: Option<&str>,
    args: &[&str],
) {
    let output = rosterql_output(database_url, read_database_url, args).await;
    assert!(
        output.status.success(),
        "rosterql {args:?}: exit {:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// As [`run_rosterql`], whatever its exit: what it wrote and how it ended.
pub(crate) async fn rosterql_output(
    database_url: &str,
    read_database_url: Option<&str>,
    args: &[&str],
) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rosterql"));
    for name in CONFIGURATION {
        command.env_remove(name);
    }
    command.args(args).env("DATABASE_URL", database_url);
    if let Some(read_database_url) = read_database_url {
        command.env("READ_DATABASE_URL", read_database_url);
    }
    tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the blocking task")
        .expect("the binary runs")
}

/// Runs `rosterql args…` on an in-memory database with the test server's configuration and
/// `env` on top (an empty value sets the variable empty), which must refuse to start: exit 2
/// within the wait (still running by then, it is killed and the test fails). Returns what it
/// wrote to stderr.
pub(crate) fn refused_at_start(args: &[&str], env: &[(&str, &str)]) -> String {
    refused_at_start_unsetting(args, env, &[])
}

/// As [`refused_at_start`], with the variables of `unset` removed after `env` is applied
/// (to start without the test secret).
pub(crate) fn refused_at_start_unsetting(
    args: &[&str],
    env: &[(&str, &str)],
    unset: &[&str],
) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rosterql"));
    for name in CONFIGURATION {
        command.env_remove(name);
    }
    let defaults = [
        ("DATABASE_URL", "sqlite::memory:"),
        ("ROSTERQL_BIND", "127.0.0.1:0"),
        ("ROSTERQL_JWT_SECRET", JWT_SECRET),
    ];
    command.envs(defaults.iter().chain(env).copied());
    for name in unset {
        command.env_remove(name);
    }
    let mut child = command
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("the process can be waited for") {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    let _ = child
        .stderr
        .take()
        .expect("a piped stderr")
        .read_to_string(&mut stderr);
    match status {
        Some(status) => assert_eq!(
            status.code(),
            Some(2),
            "rosterql {args:?} with {env:?} exited with {status}, not 2: {stderr}"
        ),
        None => panic!("rosterql {args:?} with {env:?} was still running after {WAIT:?}"),
    }
    stderr
}

/// A server process, shared so that any task may ask whether it has exited; it belongs to
/// its [`ServerProcess`], which kills it when dropped.
#[derive(Debug, Clone)]
pub(crate) struct SharedChild(Arc<Mutex<Child>>);

impl SharedChild {
    /// Sends the process signal `name` (`TERM`, `INT`), as `kill -s` does.
    pub(crate) fn signal(&self, name: &str) {
        let pid = self.lock().id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-s", name, &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -s {name} {pid}: {sent}");
    }

    /// The process's exit status once it has exited (`signal: 9 (SIGKILL)`,
    /// `exit status: 101`); None while it runs, or when that cannot be told.
    pub(crate) fn exited(&self) -> Option<String> {
        let status = self.lock().try_wait().ok().flatten();
        status.map(|status| status.to_string())
    }

    fn lock(&self) -> MutexGuard<'_, Child> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Runs `node script` in the npm package at `package` with `env`, on a blocking thread; it
/// must succeed. Returns what it printed.
pub(crate) async fn run_node(package: &str, script: &str, env: &[(&str, &OsStr)]) -> String {
    let mut node = Command::new("node");
    node.arg(script).current_dir(package);
    for (name, value) in env {
        node.env(name, value);
    }
    let output = tokio::task::spawn_blocking(move || node.output())
        .await
        .expect("the blocking task")
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{script} failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    stdout
}
