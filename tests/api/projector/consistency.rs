//! Read-your-writes: a mutation's `consistencyToken`, sent back as `X-Consistency-Token`,
//! makes a query wait until the read side has applied that change (API.md, "Consistency").

use std::time::{Duration, Instant};

use libtest_mimic::Trial;
use serde_json::{Value, json};

use crate::support::{TestApp, TestDatabase, assert_no_errors, error_code, on_both_databases};
use crate::values::INVALID_CONSISTENCY_TOKENS;

const CONSISTENCY_TOKEN: &str = "X-Consistency-Token";

const USER_BY_ID: &str = "query($id: ID!) { user(id: $id) { name version organization { name } } }";
const ORGANIZATION_BY_ID: &str =
    "query($id: ID!) { organization(id: $id) { name version memberCount activeMemberCount } }";
const MEMBER_IDS: &str =
    "query($id: ID) { users(organizationId: $id) { totalCount nodes { id } } }";

fn token_of(payload: &Value) -> String {
    payload["consistencyToken"]
        .as_str()
        .unwrap_or_else(|| panic!("no consistencyToken in {payload}"))
        .to_owned()
}

/// A query (as an admin) sent with `X-Consistency-Token: token`; returns status and body.
async fn query_at(app: &TestApp, token: &str, query: &str, variables: Value) -> (u16, Value) {
    app.post(
        Some(&app.admin),
        &[(CONSISTENCY_TOKEN, token)],
        json!({ "query": query, "variables": variables }),
    )
    .await
}

/// As [`query_at`], for a query that must succeed; returns its `data`.
async fn data_at(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let (status, body) = query_at(app, token, query, variables).await;
    assert_no_errors(&body);
    assert_eq!(status, 200, "{body}");
    body["data"].clone()
}

/// As [`data_at`], for `ORGANIZATION_BY_ID` on organization `id`.
async fn organization_data_at(app: &TestApp, token: &str, id: &Value) -> Value {
    data_at(app, token, ORGANIZATION_BY_ID, json!({ "id": id })).await
}

/// A token the read side will not reach: the real one, moved far ahead in its sequence.
/// (The format is the server's business; a test may lean on it.)
fn far_ahead(token: &str) -> String {
    let (head, sequence) = token
        .rsplit_once('.')
        .unwrap_or_else(|| panic!("an unexpected token {token:?}"));
    let sequence: i64 = sequence
        .parse()
        .unwrap_or_else(|_| panic!("an unexpected token {token:?}"));
    format!("{head}.{}", sequence + 1_000_000)
}

async fn a_query_sent_with_a_rename_token_sees_the_new_name(app: TestApp) {
    let (_, created) = app.organization_with_user().await;
    let id = created["userId"].clone();
    let mut version = created["version"].as_i64().expect("a version");
    for round in 1..=5 {
        let name = format!("Ada Renamed {round}");
        // The payload's `user` is not asked for: nothing waits for the read side but the header.
        let input = json!({ "id": id, "expectedVersion": version, "name": name });
        let payload = app
            .mutate("renameUser", input, "version consistencyToken")
            .await;
        version = payload["version"].as_i64().expect("a version");
        let data = data_at(&app, &token_of(&payload), USER_BY_ID, json!({ "id": id })).await;
        assert_eq!(data["user"]["name"], name.as_str(), "round {round}: {data}");
        assert_eq!(data["user"]["version"], version, "round {round}: {data}");
    }
}

async fn a_query_sent_with_an_organization_rename_token_sees_the_new_name_on_members(app: TestApp) {
    let (organization_id, created) = app.organization_with_user().await;
    let input = json!({ "id": organization_id, "expectedVersion": 1, "name": "Acme Renamed" });
    let payload = app
        .mutate("renameOrganization", input, "consistencyToken")
        .await;
    let token = token_of(&payload);

    let data = organization_data_at(&app, &token, &json!(organization_id)).await;
    assert_eq!(data["organization"]["name"], "Acme Renamed", "{data}");
    assert_eq!(data["organization"]["version"], 2, "{data}");
    let data = data_at(&app, &token, USER_BY_ID, json!({ "id": created["userId"] })).await;
    assert_eq!(
        data["user"]["organization"]["name"], "Acme Renamed",
        "a member's copy: {data}"
    );
}

async fn a_query_sent_with_a_create_token_sees_the_new_user(app: TestApp) {
    let (organization_id, _) = app.organization_with_user().await;
    let input = json!({ "organizationId": organization_id, "email": "grace@example.com", "name": "Grace Hopper" });
    let payload = app
        .mutate("createUser", input, "userId consistencyToken")
        .await;
    let token = token_of(&payload);

    let data = data_at(&app, &token, MEMBER_IDS, json!({ "id": organization_id })).await;
    let listed: Vec<&Value> = data["users"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|node| &node["id"])
        .collect();
    assert!(
        listed.contains(&&payload["userId"]),
        "the new user is listed: {data}"
    );
    assert_eq!(data["users"]["totalCount"], 2, "{data}");
    let data = organization_data_at(&app, &token, &json!(organization_id)).await;
    assert_eq!(data["organization"]["memberCount"], 2, "{data}");
    assert_eq!(data["organization"]["activeMemberCount"], 2, "{data}");
}

async fn mutation_payloads_show_the_state_after_the_change(app: TestApp) {
    let (organization_id, created) = app.organization_with_user().await;
    let id = created["userId"].clone();
    let user = "version user { name status version }";

    let input = json!({ "id": id, "expectedVersion": 1, "name": "Ada King" });
    let renamed = app.mutate("renameUser", input, user).await;
    assert_eq!(renamed["user"]["name"], "Ada King", "{renamed}");
    assert_eq!(renamed["user"]["version"], renamed["version"], "{renamed}");

    let input = json!({ "id": id, "expectedVersion": renamed["version"], "reason": "testing" });
    let suspended = app.mutate("suspendUser", input, user).await;
    assert_eq!(suspended["user"]["status"], "SUSPENDED", "{suspended}");
    assert_eq!(
        suspended["user"]["version"], suspended["version"],
        "{suspended}"
    );

    let organization = "version organization { name version activeMemberCount }";
    let input = json!({ "id": organization_id, "expectedVersion": 1, "name": "Acme Renamed" });
    let renamed = app.mutate("renameOrganization", input, organization).await;
    assert_eq!(renamed["organization"]["name"], "Acme Renamed", "{renamed}");
    assert_eq!(
        renamed["organization"]["version"], renamed["version"],
        "{renamed}"
    );
    assert_eq!(
        renamed["organization"]["activeMemberCount"], 0,
        "the suspension shows too: {renamed}"
    );
}

async fn an_invalid_consistency_token_is_bad_user_input(app: TestApp) {
    for token in INVALID_CONSISTENCY_TOKENS {
        let (status, body) = query_at(&app, token, "{ readModel { position } }", json!({})).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{token:?}: {body}");
        assert!((400..500).contains(&status), "{token:?}: status {status}");
    }
}

async fn a_token_the_read_side_never_reaches_fails_with_consistency_timeout_after_the_bound(
    database: TestDatabase,
) {
    let bound = Duration::from_millis(300);
    let app = TestApp::spawn_on(database, |config| config.consistency_timeout = bound.into()).await;

    let created = app.create_organization("acme", "Acme").await;
    let token = token_of(&created);
    let data = organization_data_at(&app, &token, &created["organizationId"]).await;
    assert_eq!(
        data["organization"]["name"], "Acme",
        "a reachable token answers: {data}"
    );

    let started = Instant::now();
    let (_, body) = query_at(
        &app,
        &far_ahead(&token),
        ORGANIZATION_BY_ID,
        json!({ "id": created["organizationId"] }),
    )
    .await;
    let waited = started.elapsed();
    assert_eq!(error_code(&body), "CONSISTENCY_TIMEOUT", "{body}");
    assert!(body["data"].is_null(), "no data beside the timeout: {body}");
    assert!(
        waited >= bound,
        "answered after {waited:?}, before the {bound:?} bound"
    );
    assert!(
        waited < Duration::from_secs(3),
        "the configured {bound:?} bound was not used: {waited:?}"
    );
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        a_query_sent_with_a_rename_token_sees_the_new_name,
        a_query_sent_with_an_organization_rename_token_sees_the_new_name_on_members,
        a_query_sent_with_a_create_token_sees_the_new_user,
        mutation_payloads_show_the_state_after_the_change,
        an_invalid_consistency_token_is_bad_user_input,
        a_token_the_read_side_never_reaches_fails_with_consistency_timeout_after_the_bound,
    )
}
