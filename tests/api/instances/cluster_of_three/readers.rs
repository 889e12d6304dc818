//! The readers: a read under a write's consistency token on another instance than the
//! one written to (which must never be stale), and a reader per instance keeping its cache
//! warm (so that each write has cached entries to make stale).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::USER;
use super::load::{Answer, Load};

/// Reads user `user` with `X-Consistency-Token: token` on an instance other than
/// `written_on`; `stale` says what is wrong with the user read, if anything.
pub(super) async fn read_under_token(
    load: &Load,
    written_on: usize,
    user: usize,
    token: &str,
    stale: impl FnOnce(&Value) -> Option<String>,
) {
    let Some((index, state)) = load.view.pick(written_on + 1 + user % 2, Some(written_on)) else {
        return;
    };
    let endpoint = state.endpoint.expect("a picked instance is up");
    let id = &load.users[user].id;
    let headers = [("X-Consistency-Token", token)];
    let answer = load
        .ask(&endpoint, &headers, USER, json!({ "id": id }))
        .await;
    match answer {
        Answer::Data(data) => {
            let user = &data["user"];
            let problem = if user.is_object() {
                stale(user)
            } else {
                Some("no such user".to_owned())
            };
            load.tally(|tally| {
                tally.token_reads += 1;
                if let Some(problem) = problem {
                    tally.failures.push(format!(
                        "user(id: {id}) on {} under token {token} (written on {}): {problem}: {user}",
                        load.view.name(index),
                        load.view.name(written_on)
                    ));
                }
            });
        }
        Answer::Refused(error) => {
            let what = format!("user(id) under token {token}: {error}");
            load.failed(index, state.generation, what);
        }
        Answer::Failed(why) => {
            let what = format!("user(id) under token {token}: {why}");
            load.failed(index, state.generation, what);
        }
    }
}

/// Reads the users on instance `index` over and over without a token, so that its cache
/// holds them when the next write makes them stale.
pub(super) async fn warm(load: Arc<Load>, index: usize) {
    let mut round = 0;
    while load.running() {
        round += 1;
        let state = load.view.state(index);
        let Some(endpoint) = state.endpoint else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let id = &load.users[round % load.users.len()].id;
        let query = "query($id: ID!) { user(id: $id) { version } }";
        let problem = match load.ask(&endpoint, &[], query, json!({ "id": id })).await {
            Answer::Data(data) if data["user"].is_object() => None,
            Answer::Data(data) => Some(format!("no user {id}: {data}")),
            Answer::Refused(error) => Some(format!("user(id): {error}")),
            Answer::Failed(why) => Some(format!("user(id): {why}")),
        };
        match problem {
            None => load.tally(|tally| tally.warm_reads += 1),
            Some(problem) => {
                load.failed(index, state.generation, problem);
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
