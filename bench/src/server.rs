//! A server process under test (rosterql, the ceiling server, PostGraphile): started with
//! its output in a log file, waited for until it answers, stopped at the end. Dropping a
//! [`Server`] kills the process, so an aborted run leaves nothing behind.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

use crate::load::conn::Conn;

pub(crate) struct Server {
    pub name: String,
    pub addr: SocketAddr,
    pub pid: u32,
    child: Child,
}

/// A port nobody listens on right now (the OS picks it; the server binds it right after).
pub(crate) fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

impl Server {
    /// Starts `command`, which will listen on `addr`, with stdout and stderr in `log`.
    pub(crate) fn spawn(
        name: &str,
        mut command: Command,
        addr: SocketAddr,
        log: &Path,
    ) -> anyhow::Result<Self> {
        let file =
            std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let stdout = file.try_clone()?;
        command
            .stdin(Stdio::null())
            .stdout(Stdio::from(stdout))
            .stderr(Stdio::from(file))
            .kill_on_drop(true);
        let child = command
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        let pid = child
            .id()
            .with_context(|| format!("{name} exited at once"))?;
        Ok(Self {
            name: name.to_owned(),
            addr,
            pid,
            child,
        })
    }

    /// Waits until `GET path` answers 200, for at most `timeout`.
    pub(crate) async fn wait_ready(&mut self, path: &str, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "{} exited while starting ({status}); see its log",
                    self.name
                );
            }
            if let Ok(mut conn) = Conn::open(self.addr, path, None).await
                && let Ok((status, _)) = conn.get().await
                && status == 200
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("{} did not answer GET {path} within {timeout:?}", self.name);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the process (SIGKILL: nothing it would flush matters to the benchmark).
    pub(crate) async fn stop(mut self) -> anyhow::Result<()> {
        self.child.start_kill().ok();
        self.child
            .wait()
            .await
            .with_context(|| format!("waiting for {} to stop", self.name))?;
        Ok(())
    }
}
