//! Test harness: each test gets its own database (a fresh SQLite file in a temp dir, or a
//! fresh Postgres database) and its own server on a free port, and talks to it over HTTP
//! and WebSocket like any client.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rosterql::app::Application;
use rosterql::auth::{Role, TokenKeys};
use rosterql::command::CommandService;
use rosterql::config::Config;
use rosterql::db::Pools;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const JWT_SECRET: &str = "rosterql-test-secret";
const POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const WAIT: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named scenario (an `async fn(Backend)`) once on SQLite and once on Postgres.
#[macro_export]
macro_rules! on_both_databases {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario($crate::helpers::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario($crate::helpers::Backend::Postgres).await
                }
            )*
        }
    };
}

fn postgres_admin_url() -> String {
    std::env::var("ROSTERQL_TEST_POSTGRES_URL").unwrap_or_else(|_| POSTGRES_ADMIN_URL.to_owned())
}

/// A database that exists for one test and is dropped after it.
pub struct TestDatabase {
    pub url: String,
    postgres_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// A fresh database, or None when Postgres is not reachable outside CI (in CI that
    /// fails the test: a missing Postgres must never pass silently).
    pub async fn create(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temp dir");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("rosterql.db").display()
                );
                Some(Self {
                    url,
                    postgres_name: None,
                    _dir: Some(dir),
                })
            }
            Backend::Postgres => {
                let admin = match Database::connect(postgres_admin_url()).await {
                    Ok(admin) => admin,
                    Err(error) if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
                        panic!(
                            "CI=true and Postgres is unreachable at {}: {error}",
                            postgres_admin_url()
                        )
                    }
                    Err(error) => {
                        eprintln!(
                            "\n!!! SKIPPING a Postgres test: Postgres is unreachable ({error}) !!!\n"
                        );
                        return None;
                    }
                };
                let name = format!("rosterql_test_{}", uuid::Uuid::new_v4().simple());
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("creating a test database");
                let base = postgres_admin_url();
                let url = format!(
                    "{}/{name}",
                    base.rsplit_once('/').expect("a database URL").0
                );
                Some(Self {
                    url,
                    postgres_name: Some(name),
                    _dir: None,
                })
            }
        }
    }
}

impl TestDatabase {
    /// A command side of its own on this database, as another process would have: its
    /// commits reach a running server's projector only through polling.
    pub async fn command_service(&self) -> CommandService {
        let pools = Pools::open(&self.url).await.expect("the database opens");
        CommandService::new(pools.writes, Arc::new(Notify::new()))
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(name) = self.postgres_name.take() else {
            return;
        };
        // Drop runs outside async: use a short-lived runtime on its own thread.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let admin = Database::connect(postgres_admin_url()).await.ok()?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .ok()
            })
        })
        .join();
    }
}

pub fn keys() -> TokenKeys {
    TokenKeys::new(JWT_SECRET.as_bytes())
}

pub fn token(role: Role) -> String {
    keys()
        .issue("test-user", role, Duration::from_secs(3600))
        .expect("the token signs")
}

/// The configuration a test app runs with, on `database`.
pub fn test_config(database: &TestDatabase) -> Config {
    let mut config = Config::new(database.url.clone());
    config.bind = "127.0.0.1:0".parse().expect("an address");
    config.jwt_secret = Some(JWT_SECRET.to_owned());
    config.projector_poll = Duration::from_millis(100).into();
    config
}

/// A running server.
pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub admin: String,
    pub viewer: String,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    pub database: Option<TestDatabase>,
}

impl TestApp {
    /// A server on a fresh database of `backend` (None: Postgres skipped outside CI).
    pub async fn spawn(backend: Backend) -> Option<Self> {
        let database = TestDatabase::create(backend).await?;
        let config = test_config(&database);
        let mut app = Self::start(&config).await;
        app.database = Some(database);
        Some(app)
    }

    /// A server with `config` (its database is the caller's to keep).
    pub async fn start(config: &Config) -> Self {
        let application = Application::build(config, keys())
            .await
            .expect("the app builds");
        let port = application.port();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(application.run_until(async move {
            let _ = stopped.await;
        }));
        Self {
            address: format!("http://127.0.0.1:{port}"),
            port,
            admin: token(Role::Admin),
            viewer: token(Role::Viewer),
            client: reqwest::Client::new(),
            stop: Some(stop),
            server: Some(server),
            database: None,
        }
    }

    /// Stops the server and its projector; returns the database for a restart.
    pub async fn stop(mut self) -> Option<TestDatabase> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server
                .await
                .expect("the server task")
                .expect("the server stops cleanly");
        }
        self.database.take()
    }

    /// POSTs a GraphQL request with `token` (None: anonymous) and returns the JSON body.
    pub async fn gql_as(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        self.post(
            token,
            &[],
            json!({ "query": query, "variables": variables }),
        )
        .await
        .1
    }

    /// As an admin.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.gql_as(Some(&self.admin), query, variables).await
    }

    /// POSTs `body` to /graphql with extra headers; returns the status and the JSON body.
    pub async fn post(
        &self,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Value,
    ) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        (status, response.json().await.expect("a JSON body"))
    }

    pub async fn create_organization(&self, slug: &str, name: &str) -> Value {
        let body = self
            .gql(
                "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) {
                    organizationId version consistencyToken organization { id slug name memberCount activeMemberCount version } } }",
                json!({ "input": { "slug": slug, "name": name } }),
            )
            .await;
        assert_no_errors(&body);
        body["data"]["createOrganization"].clone()
    }

    pub async fn create_user(&self, organization_id: &str, email: &str, name: &str) -> Value {
        let body = self
            .gql(
                "mutation($input: CreateUserInput!) { createUser(input: $input) {
                    userId version consistencyToken user { id email name role status version organization { id slug name } } } }",
                json!({ "input": { "organizationId": organization_id, "email": email, "name": name } }),
            )
            .await;
        assert_no_errors(&body);
        body["data"]["createUser"].clone()
    }

    /// An organization with one user; returns (organization id, user payload).
    pub async fn organization_with_user(&self) -> (String, Value) {
        let organization = self.create_organization("acme", "Acme").await;
        let organization_id = organization["organizationId"]
            .as_str()
            .expect("an id")
            .to_owned();
        let user = self
            .create_user(&organization_id, "ada@example.com", "Ada Lovelace")
            .await;
        (organization_id, user)
    }

    /// Waits until the read side has caught up with everything committed so far.
    pub async fn settle(&self) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let body = self
                .gql(
                    "{ readModel { lagEvents position headPosition } }",
                    json!({}),
                )
                .await;
            let status = &body["data"]["readModel"];
            if status["lagEvents"] == 0 && status["position"] == status["headPosition"] {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the read side never caught up: {body}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/graphql/ws", self.port)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub fn assert_no_errors(body: &Value) {
    assert!(body.get("errors").is_none(), "unexpected errors: {body}");
}

/// The `extensions.code` of the first error.
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {body}"))
}

/// A GraphQL over WebSocket client.
pub struct WsClient {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl WsClient {
    /// Opens a socket speaking `protocol` (`graphql-transport-ws` or `graphql-ws`).
    pub async fn open(app: &TestApp, protocol: &str) -> Self {
        let mut request = app.ws_url().into_client_request().expect("a ws request");
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            protocol.parse().expect("a header value"),
        );
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("the socket opens");
        Self { socket }
    }

    /// Opens a `graphql-transport-ws` socket and completes `connection_init` with `token`.
    pub async fn connect(app: &TestApp, token: Option<&str>) -> Self {
        Self::connect_with(app, "graphql-transport-ws", token).await
    }

    /// Opens a socket speaking `protocol` and completes `connection_init` with `token`.
    pub async fn connect_with(app: &TestApp, protocol: &str, token: Option<&str>) -> Self {
        let mut client = Self::open(app, protocol).await;
        let payload = match token {
            Some(token) => json!({ "Authorization": format!("Bearer {token}") }),
            None => json!({}),
        };
        client
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        let ack = client
            .receive()
            .await
            .expect("an answer to connection_init");
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        client
    }

    pub async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .expect("the socket sends");
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// The next JSON message (pings are answered and skipped); None when the socket closed.
    pub async fn receive(&mut self) -> Option<Value> {
        loop {
            let message = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("a message within the wait")?
                .ok()?;
            match message {
                Message::Text(text) => {
                    let value: Value = serde_json::from_str(&text).expect("a JSON message");
                    if value["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return Some(value);
                }
                Message::Close(_) => return None,
                _ => continue,
            }
        }
    }

    /// The payload of the next `next` (or legacy `data`) message.
    pub async fn next_data(&mut self) -> Value {
        let message = self.receive().await.expect("a message");
        assert!(
            message["type"] == "next" || message["type"] == "data",
            "expected data, got {message}"
        );
        message["payload"].clone()
    }
}
