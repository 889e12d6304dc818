//! The writers: tasks renaming users, and the one renaming organizations, through the
//! instances in turn; each acknowledged rename is read back under its consistency token on
//! another instance.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;

use super::USERS_PER_ORGANIZATION;
use super::load::{Acknowledged, Answer, Load, code};
use super::readers::read_under_token;
use crate::support::text;

const RENAME_USER: &str = "mutation($input: RenameUserInput!) {
    renameUser(input: $input) { userId version consistencyToken } }";
const RENAME_ORGANIZATION: &str = "mutation($input: RenameOrganizationInput!) {
    renameOrganization(input: $input) { organizationId version consistencyToken } }";

/// Renames users through the instances in turn, and after each acknowledged rename reads the
/// user under its token on another instance. Writers at the same round rename different
/// users; as they drift apart, some race for one (a conflict is answered with the actual
/// version, which the next attempt expects).
pub(super) async fn rename_users(load: Arc<Load>, writer: usize) {
    let mut round = 0;
    while load.running() {
        round += 1;
        let user = (writer * 2 + round) % load.users.len();
        let Some((index, state)) = load.view.pick(writer + round, None) else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let endpoint = state.endpoint.expect("a picked instance is up");
        let expected = load.version(user);
        let name = format!("User {user} w{writer} r{round}");
        let id = &load.users[user].id;
        let input = json!({ "id": id, "expectedVersion": expected, "name": name });
        let answer = load
            .ask(&endpoint, &[], RENAME_USER, json!({ "input": input }))
            .await;
        match answer {
            Answer::Data(data) => {
                let payload = &data["renameUser"];
                let version = payload["version"].as_i64().unwrap_or_default();
                if version != expected + 1 {
                    load.tally(|tally| {
                        tally.failures.push(format!(
                            "renameUser at version {expected} answered version {version}: {payload}"
                        ));
                    });
                    continue;
                }
                load.saw_version(user, version);
                load.tally(|tally| {
                    tally.acknowledged.push(Acknowledged {
                        user_id: id.clone(),
                        version,
                        at: Instant::now(),
                    });
                });
                let token = text(&payload["consistencyToken"]);
                read_under_token(&load, index, user, &token, |user| {
                    let read = user["version"].as_i64().unwrap_or_default();
                    if read < version {
                        return Some(format!(
                            "a STALE user: version {read} < acknowledged {version}"
                        ));
                    }
                    (read == version && user["name"] != name.as_str()).then(|| {
                        format!("version {version} but not the name {name:?} it was given")
                    })
                })
                .await;
            }
            Answer::Refused(error) if code(&error) == "VERSION_CONFLICT" => {
                let actual = error["extensions"]["actualVersion"].as_i64();
                match actual {
                    Some(actual) => {
                        load.saw_version(user, actual);
                        load.tally(|tally| tally.conflicts += 1);
                    }
                    None => load.tally(|tally| {
                        tally
                            .failures
                            .push(format!("a conflict without actualVersion: {error}"));
                    }),
                }
            }
            Answer::Refused(error) => {
                load.failed(
                    index,
                    state.generation,
                    format!("renameUser refused: {error}"),
                );
            }
            Answer::Failed(why) => {
                load.failed(index, state.generation, format!("renameUser failed: {why}"));
            }
        }
    }
}

/// Renames the organizations in turn (which rewrites their members' read rows and must
/// invalidate their cached profiles everywhere), reading a member under the token on another
/// instance after each. Alone in renaming them: its names count up (`r<n>`), and it conflicts
/// only after a rename whose instance was killed before it answered (and that committed).
pub(super) async fn rename_organizations(load: Arc<Load>) {
    let mut versions = vec![1; load.organizations.len()];
    let mut unanswered = vec![false; load.organizations.len()];
    let mut round = 0;
    while load.running() {
        round += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let organization = round % load.organizations.len();
        let Some((index, state)) = load.view.pick(round, None) else {
            continue;
        };
        let endpoint = state.endpoint.expect("a picked instance is up");
        let name = format!("Org {organization} r{round}");
        let input = json!({
            "id": load.organizations[organization],
            "expectedVersion": versions[organization],
            "name": name,
        });
        let answer = load
            .ask(
                &endpoint,
                &[],
                RENAME_ORGANIZATION,
                json!({ "input": input }),
            )
            .await;
        match answer {
            Answer::Data(data) => {
                let payload = &data["renameOrganization"];
                versions[organization] = payload["version"].as_i64().unwrap_or_default();
                unanswered[organization] = false;
                load.tally(|tally| tally.organization_renames += 1);
                let token = text(&payload["consistencyToken"]);
                let member = organization * USERS_PER_ORGANIZATION + round % USERS_PER_ORGANIZATION;
                read_under_token(&load, index, member, &token, |user| {
                    let seen = user["organization"]["name"].as_str().unwrap_or_default();
                    let seen_round = seen
                        .rsplit_once(" r")
                        .and_then(|(_, round)| round.parse::<usize>().ok());
                    (seen_round < Some(round)).then(|| {
                        format!("a STALE organization name in a member's profile: {seen:?}, acknowledged {name:?}")
                    })
                })
                .await;
            }
            Answer::Refused(error) if code(&error) == "VERSION_CONFLICT" => {
                let actual = error["extensions"]["actualVersion"].as_i64();
                match actual {
                    Some(actual) if unanswered[organization] => {
                        versions[organization] = actual;
                        unanswered[organization] = false;
                        load.tally(|tally| tally.conflicts += 1);
                    }
                    _ => load.tally(|tally| {
                        tally.failures.push(format!(
                            "the only organization writer conflicted with every rename answered: {error}"
                        ));
                    }),
                }
            }
            Answer::Refused(error) => {
                let what = format!("renameOrganization refused: {error}");
                unanswered[organization] |= load.failed(index, state.generation, what);
            }
            Answer::Failed(why) => {
                let what = format!("renameOrganization failed: {why}");
                unanswered[organization] |= load.failed(index, state.generation, what);
            }
        }
    }
}
