//! The load on the instances: writers renaming a user each, readers, readiness probes;
//! every request timed and its answer kept, every acknowledged command kept with its
//! version and consistency token.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use crate::support::{TestApp, text};

/// A request unanswered this long is a hang: the client gives up and the test fails.
const HANG: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Write,
    /// `user(id)`: may be served from the cache.
    CachedRead,
    /// `users(first: 20)`: always reads the read tables.
    TableRead,
    Readiness,
}

/// One request of the load, and what came of it.
#[derive(Debug, Clone)]
pub(super) struct Attempt {
    pub(super) instance: usize,
    pub(super) kind: Kind,
    pub(super) started: Instant,
    pub(super) took: Duration,
    /// The HTTP status, or why there was none.
    pub(super) status: Result<u16, String>,
    /// The first error's code (GraphQL), `None` when the request was answered in full.
    pub(super) code: Option<String>,
    /// The body, kept for failures only.
    pub(super) body: Option<Value>,
}

impl Attempt {
    pub(super) fn ended(&self) -> Instant {
        self.started + self.took
    }

    pub(super) fn succeeded(&self) -> bool {
        self.status == Ok(200) && self.code.is_none()
    }
}

/// A command a client was told succeeded.
#[derive(Debug, Clone)]
pub(super) struct Ack {
    pub(super) instance: usize,
    pub(super) user_id: String,
    pub(super) version: i64,
    pub(super) name: String,
    pub(super) token: String,
    pub(super) started: Instant,
    pub(super) ended: Instant,
}

/// What the load recorded, and whether it should stop.
#[derive(Default)]
pub(super) struct Load {
    attempts: Mutex<Vec<Attempt>>,
    acks: Mutex<Vec<Ack>>,
    /// What a writer was answered that no correct server answers (a version skipped, a
    /// conflict it did not cause).
    anomalies: Mutex<Vec<String>>,
    stop: AtomicBool,
}

impl Load {
    pub(super) fn record(&self, attempt: Attempt) {
        self.attempts.lock().expect("attempts").push(attempt);
    }

    pub(super) fn attempts(&self) -> Vec<Attempt> {
        self.attempts.lock().expect("attempts").clone()
    }

    pub(super) fn acknowledge(&self, ack: Ack) {
        self.acks.lock().expect("acks").push(ack);
    }

    pub(super) fn acks(&self) -> Vec<Ack> {
        self.acks.lock().expect("acks").clone()
    }

    fn anomaly(&self, anomaly: String) {
        self.anomalies.lock().expect("anomalies").push(anomaly);
    }

    pub(super) fn anomalies(&self) -> Vec<String> {
        self.anomalies.lock().expect("anomalies").clone()
    }

    /// Tells every task of the load to finish its request and return.
    pub(super) fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    fn running(&self) -> bool {
        !self.stop.load(Ordering::Relaxed)
    }
}

/// How the load speaks to one instance: its own client, which gives up after [`HANG`].
#[derive(Clone)]
pub(super) struct Node {
    pub(super) index: usize,
    address: String,
    admin: String,
    client: reqwest::Client,
}

impl Node {
    pub(super) fn new(index: usize, app: &TestApp) -> Self {
        Self {
            index,
            address: app.address.clone(),
            admin: app.admin.clone(),
            client: reqwest::Client::builder()
                .timeout(HANG)
                .build()
                .expect("an HTTP client"),
        }
    }

    /// Sends a GraphQL request as an admin and times it.
    pub(super) async fn graphql(
        &self,
        kind: Kind,
        query: &str,
        variables: Value,
        token: Option<&str>,
    ) -> (Attempt, Value) {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .bearer_auth(&self.admin)
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.header("X-Consistency-Token", token);
        }
        self.timed(kind, request).await
    }

    pub(super) async fn readiness(&self) -> (Attempt, Value) {
        let request = self.client.get(format!("{}/readyz", self.address));
        self.timed(Kind::Readiness, request).await
    }

    async fn timed(&self, kind: Kind, request: reqwest::RequestBuilder) -> (Attempt, Value) {
        let started = Instant::now();
        let answer = async {
            let response = request.send().await.map_err(|error| error.to_string())?;
            let status = response.status().as_u16();
            let body: Value = response
                .json()
                .await
                .map_err(|error| format!("{status}, no JSON body: {error}"))?;
            Ok::<_, String>((status, body))
        }
        .await;
        let took = started.elapsed();
        let (status, body) = match answer {
            Ok((status, body)) => (Ok(status), body),
            Err(error) => (Err(error), Value::Null),
        };
        let code = body["errors"][0]["extensions"]["code"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| body.get("errors").map(|_| "(no code)".to_owned()));
        let failed = status != Ok(200) || code.is_some();
        let attempt = Attempt {
            instance: self.index,
            kind,
            started,
            took,
            status,
            code,
            body: failed.then(|| body.clone()),
        };
        (attempt, body)
    }
}

/// Renames `user_id` again and again through `node`, keeping what each answer says.
pub(super) async fn writer(node: Node, load: Arc<Load>, writer: usize, user_id: String) {
    const RENAME: &str = "mutation($input: RenameUserInput!) {
        renameUser(input: $input) { userId version consistencyToken } }";
    let mut expected = 1;
    let mut acknowledged = 1;
    // Whether an attempt since the last acknowledgement got no answer: it may have committed.
    let mut unsure = false;
    let mut round = 0;
    while load.running() {
        round += 1;
        let name = format!("Writer {writer} round {round}");
        let input = json!({ "id": user_id, "expectedVersion": expected, "name": name });
        let (attempt, body) = node
            .graphql(Kind::Write, RENAME, json!({ "input": input }), None)
            .await;
        let (started, ended) = (attempt.started, attempt.ended());
        let code = attempt.code.clone();
        load.record(attempt);
        match code.as_deref() {
            None if body["data"]["renameUser"]["version"].is_i64() => {
                let payload = &body["data"]["renameUser"];
                let version = payload["version"].as_i64().unwrap_or_default();
                if version != expected + 1 {
                    load.anomaly(format!(
                        "writer {writer}: renamed at expectedVersion {expected} to version {version}"
                    ));
                }
                load.acknowledge(Ack {
                    instance: node.index,
                    user_id: user_id.clone(),
                    version,
                    name,
                    token: text(&payload["consistencyToken"]),
                    started,
                    ended,
                });
                (expected, acknowledged, unsure) = (version, version, false);
            }
            Some("VERSION_CONFLICT") => {
                let actual = body["errors"][0]["extensions"]["actualVersion"]
                    .as_i64()
                    .unwrap_or_default();
                if !unsure || actual < acknowledged {
                    load.anomaly(format!(
                        "writer {writer}: VERSION_CONFLICT at {actual} after acknowledged version \
                         {acknowledged} (an attempt without answer since: {unsure}): {body}"
                    ));
                }
                expected = actual;
            }
            _ => {
                // Refused or unanswered (checked with every attempt): the write may have
                // committed all the same. A client backs off a little and retries.
                unsure = true;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Reads through `node` until the load stops: users by id (the cache) and a page of users
/// (the read tables).
pub(super) async fn reader(node: Node, load: Arc<Load>, user_ids: Vec<String>) {
    let mut round = 0;
    while load.running() {
        round += 1;
        let (attempt, _) = if round % 2 == 0 {
            let id = &user_ids[round / 2 % user_ids.len()];
            node.graphql(
                Kind::CachedRead,
                "query($id: ID!) { user(id: $id) { id version } }",
                json!({ "id": id }),
                None,
            )
            .await
        } else {
            node.graphql(
                Kind::TableRead,
                "{ users(first: 20) { totalCount nodes { id version } } }",
                json!({}),
                None,
            )
            .await
        };
        let failed = !attempt.succeeded();
        load.record(attempt);
        tokio::time::sleep(Duration::from_millis(if failed { 50 } else { 5 })).await;
    }
}

/// Asks `/readyz` every 100 ms until the load stops.
pub(super) async fn prober(node: Node, load: Arc<Load>) {
    while load.running() {
        let (attempt, _) = node.readiness().await;
        load.record(attempt);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
