//! Several named `rosterql serve` processes on one database, as an operator runs them: each
//! instance has a slot that a kill -9 empties and a restart fills again (on a new port). Tasks
//! that talk to the instances follow the slots, so they know which instance is up, and
//! whether one they spoke to was killed meanwhile (its slot's generation moved) or exited by
//! itself.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::watch;

use super::TestApp;
use super::process::SharedChild;

/// How long one request to an instance may take before it counts as failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// Where an instance listens, while it is up, and its process.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub(crate) address: String,
    pub(crate) port: u16,
    process: SharedChild,
}

/// One instance's slot: moves to a new generation on every kill and every restart.
#[derive(Debug, Clone)]
pub(crate) struct SlotState {
    pub(crate) generation: u64,
    /// None while the instance is down.
    pub(crate) endpoint: Option<Endpoint>,
}

/// What the tasks of a test share: the slots, a client and an admin token.
#[derive(Clone)]
pub(crate) struct ClusterView {
    names: Arc<Vec<String>>,
    slots: Arc<Vec<watch::Sender<SlotState>>>,
    pub(crate) client: reqwest::Client,
    pub(crate) admin: String,
}

impl ClusterView {
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    pub(crate) fn name(&self, index: usize) -> &str {
        &self.names[index]
    }

    pub(crate) fn state(&self, index: usize) -> SlotState {
        self.slots[index].borrow().clone()
    }

    /// Whether the slot moved past `generation` (the instance was killed, maybe restarted).
    pub(crate) fn moved_since(&self, index: usize, generation: u64) -> bool {
        self.slots[index].borrow().generation != generation
    }

    /// How instance `index`'s process exited, when it did while its slot says it is up (the
    /// test did not kill it): its exit status. None while it runs or while it is down.
    pub(crate) fn exited(&self, index: usize) -> Option<String> {
        self.state(index).endpoint?.process.exited()
    }

    /// Instance `index` as the failure of a request to it that no kill explains names it:
    /// `b (up)`, or `b (up, yet its process exited: signal: 6 (SIGABRT))`.
    pub(crate) fn up_or_exited(&self, index: usize) -> String {
        match self.exited(index) {
            None => format!("{} (up)", self.name(index)),
            Some(status) => format!(
                "{} (up, yet its process exited: {status})",
                self.name(index)
            ),
        }
    }

    /// Follows slot `index`'s changes.
    pub(crate) fn watch(&self, index: usize) -> watch::Receiver<SlotState> {
        self.slots[index].subscribe()
    }

    /// The first instance that is up among `preferred`, then the others in order.
    pub(crate) fn pick(
        &self,
        preferred: usize,
        except: Option<usize>,
    ) -> Option<(usize, SlotState)> {
        (0..self.len())
            .map(|offset| (preferred + offset) % self.len())
            .filter(|index| Some(*index) != except)
            .find_map(|index| {
                let state = self.state(index);
                state.endpoint.is_some().then_some((index, state))
            })
    }

    /// POSTs a GraphQL request as an admin to `endpoint` with extra `headers`: the JSON
    /// body, whatever the status, or why there is none (a refused connection, a reset, a
    /// timeout, a body that is not JSON).
    pub(crate) async fn graphql(
        &self,
        endpoint: &Endpoint,
        headers: &[(&str, &str)],
        query: &str,
        variables: Value,
    ) -> Result<Value, String> {
        let mut request = self
            .client
            .post(format!("{}/graphql", endpoint.address))
            .bearer_auth(&self.admin)
            .json(&json!({ "query": query, "variables": variables }));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.map_err(|error| causes(&error))?;
        let status = response.status();
        let body = response.text().await.map_err(|error| causes(&error))?;
        serde_json::from_str(&body).map_err(|_| format!("HTTP {status}, not JSON: {body}"))
    }
}

/// The processes and their slots; owned by the test's main task, which alone kills and
/// restarts.
pub(crate) struct Cluster {
    database_url: String,
    env: Vec<(String, String)>,
    apps: Vec<Option<TestApp>>,
    view: ClusterView,
    /// The logs of killed processes, up to their kill.
    killed_logs: Vec<(String, Vec<String>)>,
    pub(crate) kills: u32,
    pub(crate) restarts: u32,
}

impl Cluster {
    /// Starts one process per name on `database_url`, one after the other (the first
    /// migrates), each with `ROSTERQL_INSTANCE=<name>` and `env`.
    pub(crate) async fn start(database_url: &str, names: &[&str], env: &[(&str, &str)]) -> Self {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        let mut apps = Vec::new();
        let mut slots = Vec::new();
        for name in names {
            let app = spawn(database_url, name, &env).await;
            let (slot, _) = watch::channel(SlotState {
                generation: 0,
                endpoint: Some(endpoint(&app)),
            });
            slots.push(slot);
            apps.push(Some(app));
        }
        let admin = apps[0]
            .as_ref()
            .map(|app| app.admin.clone())
            .unwrap_or_default();
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .expect("an HTTP client");
        Self {
            database_url: database_url.to_owned(),
            env,
            apps,
            view: ClusterView {
                names: Arc::new(names.iter().map(|name| (*name).to_owned()).collect()),
                slots: Arc::new(slots),
                client,
                admin,
            },
            killed_logs: Vec::new(),
            kills: 0,
            restarts: 0,
        }
    }

    pub(crate) fn view(&self) -> ClusterView {
        self.view.clone()
    }

    /// The running instance in slot `index`.
    pub(crate) fn app(&self, index: usize) -> &TestApp {
        self.apps[index]
            .as_ref()
            .unwrap_or_else(|| panic!("instance {} is down", self.view.name(index)))
    }

    /// kill -9 of instance `index`. Its slot moves to a new generation first, so that
    /// whoever sees a request to it fail knows it was killed.
    pub(crate) fn kill(&mut self, index: usize) {
        let app = self.apps[index].take().expect("a running instance to kill");
        self.view.slots[index].send_modify(|state| {
            state.generation += 1;
            state.endpoint = None;
        });
        self.killed_logs
            .push((self.view.name(index).to_owned(), app.log()));
        drop(app);
        self.kills += 1;
    }

    /// Starts instance `index` again, under its name, on the same database.
    pub(crate) async fn restart(&mut self, index: usize) {
        assert!(self.apps[index].is_none(), "restarting a running instance");
        let app = spawn(&self.database_url, self.view.name(index), &self.env).await;
        let endpoint = endpoint(&app);
        self.apps[index] = Some(app);
        self.view.slots[index].send_modify(|state| {
            state.generation += 1;
            state.endpoint = Some(endpoint);
        });
        self.restarts += 1;
    }

    /// The last `lines` lines of every process's log so far, killed ones first, for a
    /// failure message.
    pub(crate) fn logs(&self, lines: usize) -> String {
        let killed = self
            .killed_logs
            .iter()
            .map(|(name, log)| (format!("{name} (killed)"), log.clone()));
        let running = self.apps.iter().enumerate().filter_map(|(index, app)| {
            let app = app.as_ref()?;
            let state = match app.exited() {
                None => "running".to_owned(),
                Some(status) => format!("not killed, exited: {status}"),
            };
            Some((format!("{} ({state})", self.view.name(index)), app.log()))
        });
        let mut logs = String::new();
        for (title, log) in killed.chain(running) {
            logs.push_str(&format!("--- log of {title}, last {lines} lines ---\n"));
            for line in &log[log.len().saturating_sub(lines)..] {
                logs.push_str(line);
                logs.push('\n');
            }
        }
        logs
    }
}

async fn spawn(database_url: &str, name: &str, env: &[(String, String)]) -> TestApp {
    let mut variables: Vec<(&str, &str)> = vec![("ROSTERQL_INSTANCE", name)];
    variables.extend(
        env.iter()
            .map(|(name, value)| (name.as_str(), value.as_str())),
    );
    TestApp::spawn_process_at(database_url, &variables).await
}

/// An error with its causes (reqwest's own message does not say what failed).
fn causes(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    message
}

fn endpoint(app: &TestApp) -> Endpoint {
    Endpoint {
        address: app.address.clone(),
        port: app.port,
        process: app.child(),
    }
}
