//! The requests each scenario sends and how their answers are judged: `user(id)` by random
//! id, a page of an organization's users (with or without `totalCount`), and `renameUser`
//! with the versions each worker keeps track of. The same selections are sent to rosterql,
//! the ceiling server and, in PostGraphile's spelling, to PostGraphile.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

use bytes::Bytes;
use hyper::StatusCode;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Value, json};

use crate::lag::LagBook;
use crate::load::{Client, Outcome};

/// Which schema a request is spelled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// rosterql, and the ceiling server (same schema for `user(id)`).
    Rosterql,
    /// PostGraphile v5 over `user_profiles`.
    PostGraphile,
}

const USER_FIELDS: &str =
    "id name role status version createdAt updatedAt organization { id slug name }";
const PG_USER_FIELDS: &str = "rowId name role status version createdAt updatedAt organizationId organizationSlug organizationName";

fn user_query(api: Api) -> String {
    match api {
        Api::Rosterql => format!("query User($id: ID!) {{ user(id: $id) {{ {USER_FIELDS} }} }}"),
        Api::PostGraphile => format!(
            "query User($id: UUID!) {{ userProfileByRowId(rowId: $id) {{ {PG_USER_FIELDS} }} }}"
        ),
    }
}

fn page_query(api: Api, with_count: bool) -> String {
    let count = if with_count { " totalCount" } else { "" };
    match api {
        Api::Rosterql => format!(
            "query Users($org: ID!) {{ users(organizationId: $org, first: 20) {{ edges {{ cursor node {{ {USER_FIELDS} }} }} pageInfo {{ hasNextPage endCursor }}{count} }} }}"
        ),
        // rosterql's default order is NAME_ASC: by the folded name, then the id.
        Api::PostGraphile => format!(
            "query Users($org: UUID!) {{ allUserProfiles(condition: {{organizationId: $org}}, first: 20, orderBy: [NAME_FOLDED_ASC, ROW_ID_ASC]) {{ edges {{ cursor node {{ {PG_USER_FIELDS} }} }} pageInfo {{ hasNextPage endCursor }}{count} }} }}"
        ),
    }
}

/// A request body: the query (JSON-escaped once) with one string variable.
#[derive(Clone)]
struct Body {
    prefix: String,
}

impl Body {
    fn new(query: &str, variable: &str) -> Self {
        let query = Value::String(query.to_owned()).to_string();
        Self {
            prefix: format!("{{\"query\":{query},\"variables\":{{\"{variable}\":\""),
        }
    }

    fn with(&self, value: &str) -> Bytes {
        let mut body = String::with_capacity(self.prefix.len() + value.len() + 3);
        body.push_str(&self.prefix);
        body.push_str(value);
        body.push_str("\"}}");
        Bytes::from(body)
    }
}

/// A read's answer: 200, data whose root fields are all non-null, no `errors`.
pub(crate) fn judge_read(status: StatusCode, body: &[u8]) -> Outcome {
    #[derive(Deserialize)]
    struct Envelope {
        data: Option<BTreeMap<String, Option<IgnoredAny>>>,
        errors: Option<IgnoredAny>,
    }
    if status != StatusCode::OK {
        return Outcome::HttpError;
    }
    match serde_json::from_slice::<Envelope>(body) {
        Ok(Envelope {
            data: Some(data),
            errors: None,
        }) if !data.is_empty() && data.values().all(Option::is_some) => Outcome::Ok,
        _ => Outcome::GraphqlError,
    }
}

/// `user(id)` (or PostGraphile's lookup by primary key) for ids drawn at random, or, with
/// `sweep`, each id of this client's share once (to warm a cache).
pub(crate) struct UserById {
    ids: Arc<Vec<String>>,
    body: Body,
    rng: SmallRng,
    sweep: Option<(usize, usize)>,
}

impl UserById {
    pub(crate) fn random(api: Api, ids: Arc<Vec<String>>, seed: u64) -> Self {
        Self {
            ids,
            body: Body::new(&user_query(api), "id"),
            rng: SmallRng::seed_from_u64(seed),
            sweep: None,
        }
    }

    /// Visits ids `index`, `index + step`, … once each.
    pub(crate) fn sweep(api: Api, ids: Arc<Vec<String>>, index: usize, step: usize) -> Self {
        Self {
            sweep: Some((index, step.max(1))),
            ..Self::random(api, ids, index as u64)
        }
    }
}

impl Client for UserById {
    fn next(&mut self) -> Option<Bytes> {
        let index = match &mut self.sweep {
            Some((next, step)) => {
                let index = *next;
                *next += *step;
                index
            }
            None => self.rng.random_range(0..self.ids.len().max(1)),
        };
        self.ids.get(index).map(|id| self.body.with(id))
    }

    fn check(&mut self, status: StatusCode, body: &[u8]) -> Outcome {
        judge_read(status, body)
    }
}

/// The first page (20) of a random organization's users, in name order.
pub(crate) struct UsersPage {
    organizations: Arc<Vec<String>>,
    body: Body,
    rng: SmallRng,
}

impl UsersPage {
    pub(crate) fn new(
        api: Api,
        with_count: bool,
        organizations: Arc<Vec<String>>,
        seed: u64,
    ) -> Self {
        Self {
            organizations,
            body: Body::new(&page_query(api, with_count), "org"),
            rng: SmallRng::seed_from_u64(seed),
        }
    }
}

impl Client for UsersPage {
    fn next(&mut self) -> Option<Bytes> {
        let index = self.rng.random_range(0..self.organizations.len().max(1));
        self.organizations.get(index).map(|id| self.body.with(id))
    }

    fn check(&mut self, status: StatusCode, body: &[u8]) -> Outcome {
        judge_read(status, body)
    }
}

/// The users writers rename and the version each was last seen at. Worker `w` of `n` only
/// touches users `w`, `w + n`, …, so writers do not race each other; a conflict still
/// happens when a write's answer was lost, and then the version is taken from the error.
pub(crate) struct WriteSet {
    pub ids: Vec<String>,
    pub versions: Vec<AtomicI32>,
}

impl WriteSet {
    pub(crate) fn new(users: Vec<(String, i32)>) -> Self {
        let (ids, versions) = users
            .into_iter()
            .map(|(id, version)| (id, AtomicI32::new(version)))
            .unzip();
        Self { ids, versions }
    }
}

const RENAME: &str =
    "mutation Rename($input: RenameUserInput!) { renameUser(input: $input) { userId version } }";

/// `renameUser` of a random user of this worker's share, at the version last seen.
pub(crate) struct Rename {
    set: Arc<WriteSet>,
    worker: usize,
    workers: usize,
    lag: Option<Arc<LagBook>>,
    rng: SmallRng,
    counter: u64,
    in_flight: usize,
}

impl Rename {
    pub(crate) fn new(
        set: Arc<WriteSet>,
        worker: usize,
        workers: usize,
        lag: Option<Arc<LagBook>>,
        seed: u64,
    ) -> Self {
        Self {
            set,
            worker,
            workers: workers.max(1),
            lag,
            rng: SmallRng::seed_from_u64(seed),
            counter: 0,
            in_flight: 0,
        }
    }
}

impl Client for Rename {
    fn next(&mut self) -> Option<Bytes> {
        let users = self.set.ids.len();
        if self.worker >= users {
            return None;
        }
        let share = (users - self.worker).div_ceil(self.workers);
        let index = self.worker + self.workers * self.rng.random_range(0..share);
        self.in_flight = index;
        self.counter += 1;
        let version = self.set.versions.get(index)?.load(Ordering::Relaxed);
        let body = json!({
            "query": RENAME,
            "variables": { "input": {
                "id": self.set.ids.get(index)?,
                "expectedVersion": version,
                "name": format!("Bench Writer {} {}", self.worker, self.counter),
            }},
        });
        Some(Bytes::from(body.to_string()))
    }

    fn check(&mut self, status: StatusCode, body: &[u8]) -> Outcome {
        if status != StatusCode::OK {
            return Outcome::HttpError;
        }
        let Ok(answer) = serde_json::from_slice::<Value>(body) else {
            return Outcome::GraphqlError;
        };
        let Some(version) = self.set.versions.get(self.in_flight) else {
            return Outcome::GraphqlError;
        };
        if let Some(error) = answer["errors"].get(0) {
            let extensions = &error["extensions"];
            if extensions["code"] == "VERSION_CONFLICT"
                && let Some(actual) = extensions["actualVersion"].as_i64()
            {
                version.store(actual as i32, Ordering::Relaxed);
                return Outcome::Conflict;
            }
            return Outcome::GraphqlError;
        }
        let payload = &answer["data"]["renameUser"];
        match (payload["userId"].as_str(), payload["version"].as_i64()) {
            (Some(user), Some(new_version)) => {
                version.store(new_version as i32, Ordering::Relaxed);
                if let Some(lag) = &self.lag {
                    lag.replied(user, new_version as i32);
                }
                Outcome::Ok
            }
            _ => Outcome::GraphqlError,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_graphql_error_in_a_200_is_an_error() {
        let ok = br#"{"data":{"user":{"id":"1"}}}"#;
        let null = br#"{"data":{"user":null}}"#;
        let error = br#"{"data":{"user":null},"errors":[{"message":"no"}]}"#;
        assert_eq!(judge_read(StatusCode::OK, ok), Outcome::Ok);
        assert_eq!(judge_read(StatusCode::OK, null), Outcome::GraphqlError);
        assert_eq!(judge_read(StatusCode::OK, error), Outcome::GraphqlError);
        assert_eq!(judge_read(StatusCode::BAD_REQUEST, ok), Outcome::HttpError);
    }

    #[test]
    fn bodies_are_json() {
        let body = Body::new(&user_query(Api::Rosterql), "id").with("abc");
        let value: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["variables"]["id"], "abc");
    }
}
