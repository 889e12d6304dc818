//! A running server on a free port, spoken to over HTTP like any client.

use std::time::Duration;

use rosterql::app::Application;
use rosterql::auth::{Role, TokenKeys, TokenRules};
use rosterql::config::Config;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::graphql::{self, assert_no_errors, text};
use super::process::{ServerProcess, SharedChild};
use super::{Backend, TestDatabase};

/// At least 32 bytes, as the server requires.
pub(crate) const JWT_SECRET: &str = "rosterql-test-secret-0123456789abcdef";
pub(crate) const WAIT: Duration = Duration::from_secs(15);

/// Keys for the test secret (HS256), with no leeway, issuer or audience.
pub(crate) fn keys() -> TokenKeys {
    TokenKeys::new(JWT_SECRET.as_bytes(), &TokenRules::default())
}

pub(crate) fn token(role: Role) -> String {
    keys()
        .issue("test-user", role, Duration::from_secs(3600))
        .expect("the token signs")
}

/// The configuration a test app runs with, on `database`.
pub(crate) fn test_config(database: &TestDatabase) -> Config {
    let mut config = Config::new(database.url.clone());
    config.bind = "127.0.0.1:0".parse().expect("an address");
    config.jwt_secret = Some(JWT_SECRET.to_owned());
    config.projector_poll = Duration::from_millis(100).into();
    config
}

/// A running server.
pub(crate) struct TestApp {
    pub(crate) address: String,
    pub(crate) port: u16,
    pub(crate) admin: String,
    pub(crate) viewer: String,
    pub(crate) client: reqwest::Client,
    server: Option<Server>,
    database: Option<TestDatabase>,
}

/// Where the server runs: a task of this test, or the real binary in a process of its own.
enum Server {
    InProcess {
        stop: oneshot::Sender<()>,
        task: JoinHandle<std::io::Result<()>>,
    },
    Process(ServerProcess),
}

impl TestApp {
    /// A server on a fresh database of `backend`.
    pub(crate) async fn spawn(backend: Backend) -> Self {
        Self::spawn_on(TestDatabase::create(backend).await, |_| {}).await
    }

    /// A server on `database` (which it keeps), with the test configuration as `configure`
    /// changes it.
    pub(crate) async fn spawn_on(
        database: TestDatabase,
        configure: impl FnOnce(&mut Config),
    ) -> Self {
        let mut config = test_config(&database);
        configure(&mut config);
        let mut app = Self::start(&config).await;
        app.database = Some(database);
        app
    }

    /// A server with `config` (its database is the caller's to keep), checking tokens as its
    /// token settings say (the test secret's keys when it has none).
    pub(crate) async fn start(config: &Config) -> Self {
        let keys = config
            .token_keys()
            .expect("valid token settings")
            .unwrap_or_else(keys);
        let application = Application::build(config, keys, None)
            .await
            .expect("the app builds");
        let port = application.port();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(application.run_until(async move {
            let _ = stopped.await;
        }));
        Self::at(port, Server::InProcess { stop, task: server })
    }

    /// `rosterql serve` as a process of its own on `database`, configured by the test
    /// configuration's environment variables and `env` on top (an empty value removes a
    /// variable). Its metrics and its log are its own.
    pub(crate) async fn spawn_process(database: TestDatabase, env: &[(&str, &str)]) -> Self {
        let mut app = Self::spawn_process_at(&database.url, env).await;
        app.database = Some(database);
        app
    }

    /// `rosterql serve` as a process of its own on `database_url`, which the caller keeps
    /// (several processes on one database are several instances). Dropping the app kills
    /// the process with SIGKILL, as `kill -9` would.
    pub(crate) async fn spawn_process_at(database_url: &str, env: &[(&str, &str)]) -> Self {
        let process = ServerProcess::start(database_url, env).await;
        Self::at(process.port, Server::Process(process))
    }

    fn at(port: u16, server: Server) -> Self {
        Self {
            address: format!("http://127.0.0.1:{port}"),
            port,
            admin: token(Role::Admin),
            viewer: token(Role::Viewer),
            client: reqwest::Client::new(),
            server: Some(server),
            database: None,
        }
    }

    /// The server process's log so far (only for [`Self::spawn_process`]).
    pub(crate) fn log(&self) -> Vec<String> {
        match &self.server {
            Some(Server::Process(process)) => process.log(),
            _ => panic!("only a server process has a log of its own"),
        }
    }

    /// How the server ended, when it has: a server process's exit status, or that the
    /// in-process server's task finished; None while it serves. For the message of a
    /// request it did not answer.
    pub(crate) fn exited(&self) -> Option<String> {
        match &self.server {
            Some(Server::Process(process)) => process.child().exited(),
            Some(Server::InProcess { task, .. }) => task
                .is_finished()
                .then(|| "the server task finished".to_owned()),
            None => None,
        }
    }

    /// The server process (only for [`Self::spawn_process`]), for tasks that ask whether it
    /// exited while they do not hold the app.
    pub(crate) fn child(&self) -> SharedChild {
        match &self.server {
            Some(Server::Process(process)) => process.child(),
            _ => panic!("only a server process has a process of its own"),
        }
    }

    /// The database a spawned server runs on.
    pub(crate) fn database(&self) -> &TestDatabase {
        self.database
            .as_ref()
            .expect("a spawned app owns its database")
    }

    /// Stops the server and its projector; returns the database for a restart.
    pub(crate) async fn stop(mut self) -> Option<TestDatabase> {
        match self.server.take() {
            Some(Server::InProcess { stop, task }) => {
                let _ = stop.send(());
                task.await
                    .expect("the server task")
                    .expect("the server stops cleanly");
            }
            Some(Server::Process(process)) => drop(process),
            None => {}
        }
        self.database.take()
    }

    /// Sends `request` to the server: its response, whatever the status. A request it did
    /// not answer fails the test, saying whether the server exited.
    pub(crate) async fn send(&self, request: reqwest::RequestBuilder) -> reqwest::Response {
        match request.send().await {
            Ok(response) => response,
            Err(error) => match self.exited() {
                Some(status) => {
                    panic!("the server did not answer, it exited ({status}): {error:?}")
                }
                None => panic!("the server did not answer: {error:?}"),
            },
        }
    }

    /// GETs `path` (`/readyz`, `/metrics`, …).
    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        self.send(self.client.get(format!("{}{path}", self.address)))
            .await
    }

    /// `/readyz`: its status and its JSON body.
    pub(crate) async fn readiness(&self) -> (u16, Value) {
        let response = self.get("/readyz").await;
        let status = response.status().as_u16();
        (status, response.json().await.expect("a JSON body"))
    }

    /// POSTs a GraphQL request with `token` (None: anonymous) and returns the JSON body.
    pub(crate) async fn gql_as(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        self.post(
            token,
            &[],
            json!({ "query": query, "variables": variables }),
        )
        .await
        .1
    }

    /// As an admin.
    pub(crate) async fn gql(&self, query: &str, variables: Value) -> Value {
        self.gql_as(Some(&self.admin), query, variables).await
    }

    /// POSTs `body` to /graphql as it is, labelled `content_type`; returns the status and the
    /// text of the answer.
    pub(crate) async fn post_raw(
        &self,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> (u16, String) {
        let request = self
            .client
            .post(format!("{}/graphql", self.address))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body);
        let response = self.send(request).await;
        let status = response.status().as_u16();
        (status, response.text().await.expect("a body"))
    }

    /// POSTs `body` to /graphql with extra headers; returns the status and the JSON body.
    pub(crate) async fn post(
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
        let response = self.send(request).await;
        let status = response.status().as_u16();
        (status, response.json().await.expect("a JSON body"))
    }

    /// Runs `mutation` with `input` as an admin, selecting `selection` of its payload; the
    /// mutation must be accepted. Returns the payload.
    pub(crate) async fn mutate(&self, mutation: &str, input: Value, selection: &str) -> Value {
        let document = graphql::mutation(mutation, selection);
        let body = self.gql(&document, json!({ "input": input })).await;
        assert_no_errors(&body);
        body["data"][mutation].clone()
    }

    /// As [`Self::mutate`], for a mutation that may be refused: its payload, or its first
    /// error (then with no data).
    pub(crate) async fn try_mutate(
        &self,
        mutation: &str,
        input: Value,
        selection: &str,
    ) -> Result<Value, Value> {
        let document = graphql::mutation(mutation, selection);
        let body = self.gql(&document, json!({ "input": input })).await;
        match body.get("errors") {
            Some(errors) => {
                assert!(
                    body["data"].is_null(),
                    "a refused command returned data: {body}"
                );
                Err(errors[0].clone())
            }
            None => Ok(body["data"][mutation].clone()),
        }
    }

    pub(crate) async fn create_organization(&self, slug: &str, name: &str) -> Value {
        self.mutate(
            "createOrganization",
            json!({ "slug": slug, "name": name }),
            "organizationId version consistencyToken
                organization { id slug name memberCount activeMemberCount version }",
        )
        .await
    }

    /// Creates organization `slug` without waiting for the read side (the payload names no
    /// read row), for a test whose projector is held back.
    pub(crate) async fn create_organization_unprojected(&self, slug: &str) {
        let input = json!({ "slug": slug, "name": slug });
        self.mutate("createOrganization", input, "organizationId")
            .await;
    }

    pub(crate) async fn create_user(
        &self,
        organization_id: &str,
        email: &str,
        name: &str,
    ) -> Value {
        self.mutate(
            "createUser",
            json!({ "organizationId": organization_id, "email": email, "name": name }),
            "userId version consistencyToken
                user { id email name role status version organization { id slug name } }",
        )
        .await
    }

    /// An organization with one user; returns (organization id, user payload).
    pub(crate) async fn organization_with_user(&self) -> (String, Value) {
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

    /// The name `user(id)` answers for user `id` (null when there is none), as anyone.
    pub(crate) async fn user_name(&self, id: &str) -> Value {
        let body = self
            .gql_as(
                None,
                "query($id: ID!) { user(id: $id) { name } }",
                json!({ "id": id }),
            )
            .await;
        assert_no_errors(&body);
        body["data"]["user"]["name"].clone()
    }

    /// The organization `acme` with the active user Ada (ada@example.com), once the read side
    /// has caught up; returns their ids.
    pub(crate) async fn acme_with_ada(&self) -> (String, String) {
        let (organization_id, user) = self.organization_with_user().await;
        let user_id = text(&user["userId"]);
        self.settle().await;
        (organization_id, user_id)
    }

    /// Waits until the read side has caught up with everything committed so far.
    pub(crate) async fn settle(&self) {
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

    /// The read side's position once it has applied everything committed so far.
    pub(crate) async fn read_position(&self) -> String {
        self.settle().await;
        let body = self.gql("{ readModel { position } }", json!({})).await;
        assert_no_errors(&body);
        text(&body["data"]["readModel"]["position"])
    }

    pub(crate) fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/graphql/ws", self.port)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        match self.server.take() {
            Some(Server::InProcess { stop, .. }) => {
                let _ = stop.send(());
            }
            Some(Server::Process(process)) => drop(process),
            None => {}
        }
    }
}
