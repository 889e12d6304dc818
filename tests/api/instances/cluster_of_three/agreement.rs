//! Once the load is over, the instances agree: every user and organization is served the
//! same by all of them, as its read row has it and, for a user, at the version of its last
//! event in the log.

use std::collections::HashMap;

use sea_orm::{DatabaseConnection, JsonValue};
use serde_json::{Value, json};

use super::load::Load;
use super::log::LoggedEvent;
use super::rebuild::rows;
use super::{NAMES, USER};
use crate::support::{ClusterView, assert_no_errors, text};

const ORGANIZATION: &str = "query($id: ID!) {
    organization(id: $id) { id slug name memberCount activeMemberCount version updatedAt } }";

/// `field` of the answer to `query` from every instance, without a token; each must answer
/// without errors.
async fn on_every_instance(
    view: &ClusterView,
    query: &str,
    variables: Value,
    field: &str,
) -> Vec<Value> {
    let mut answers = Vec::new();
    for index in 0..view.len() {
        let endpoint = view.state(index).endpoint.expect("every instance is up");
        let body = view
            .graphql(&endpoint, &[], query, variables.clone())
            .await
            .unwrap_or_else(|why| panic!("{field} on {}: {why}", view.up_or_exited(index)));
        assert_no_errors(&body);
        answers.push(body["data"][field].clone());
    }
    answers
}

/// Every user and organization of the load, asked of every instance, without a token:
/// the same answer everywhere, equal to the read tables (at `db`) and to the `log`; returns
/// the users compared.
pub(super) async fn assert_instances_agree(
    view: &ClusterView,
    db: &DatabaseConnection,
    load: &Load,
    log: &[LoggedEvent],
) -> usize {
    let live_users: HashMap<String, JsonValue> = rows(db, "user_profiles")
        .await
        .into_iter()
        .map(|row| (text(&row["id"]), row))
        .collect();
    let mut users_compared = 0;
    for user in &load.users {
        let answers = on_every_instance(view, USER, json!({ "id": user.id }), "user").await;
        for (index, answer) in answers.iter().enumerate() {
            assert_eq!(
                answer, &answers[0],
                "user {} on {} and on {}",
                user.id, NAMES[index], NAMES[0]
            );
        }
        let row = &live_users[&user.id];
        let answer = &answers[0];
        assert_eq!(
            (
                &answer["name"],
                &answer["version"],
                &answer["organization"]["name"]
            ),
            (&row["name"], &row["version"], &row["organization_name"]),
            "user {} served against its read row",
            user.id
        );
        let last_version = log
            .iter()
            .filter(|event| event.aggregate_id == user.id)
            .map(|event| event.version)
            .max();
        assert_eq!(
            answer["version"].as_i64(),
            last_version,
            "user {} against the log",
            user.id
        );
        assert_eq!(
            row["organization_id"],
            json!(load.organizations[user.organization])
        );
        users_compared += 1;
    }
    for organization in &load.organizations {
        let variables = json!({ "id": organization });
        let answers = on_every_instance(view, ORGANIZATION, variables, "organization").await;
        assert!(
            answers[0].is_object(),
            "organization {organization}: {answers:?}"
        );
        assert!(
            answers.iter().all(|answer| *answer == answers[0]),
            "organization {organization}: {answers:?}"
        );
    }
    users_compared
}
