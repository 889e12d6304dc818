//! Read-your-writes: a mutation's `consistencyToken`, sent back as `X-Consistency-Token`,
//! makes a query wait until the read side has applied that change (API.md, "Consistency").
//!
//! The projector is held back ([`HoldableApp`]) whenever a test needs the read side to be
//! behind: a query sent with a token must still be pending while the change is held, which
//! a server ignoring the header fails at once, however fast its projector.

use std::future::Future;
use std::time::{Duration, Instant};

use libtest_mimic::Trial;
use serde_json::{Value, json};

use crate::support::hold::{Hold, HoldableApp};
use crate::support::{
    TestApp, TestDatabase, assert_no_errors, error_code, mutation_document, on_both_databases, text,
};
use crate::values::INVALID_CONSISTENCY_TOKENS;

const CONSISTENCY_TOKEN: &str = "X-Consistency-Token";

const USER_BY_ID: &str = "query($id: ID!) { user(id: $id) { name version organization { name } } }";
const ORGANIZATION_BY_ID: &str =
    "query($id: ID!) { organization(id: $id) { name version memberCount activeMemberCount } }";
const MEMBER_IDS: &str =
    "query($id: ID) { users(organizationId: $id) { totalCount nodes { id } } }";

/// How long a request must stay unanswered while the projector is held. A correct server
/// never answers in that time, so this direction cannot flake.
const QUIET: Duration = Duration::from_millis(200);

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

/// Checks that `request` (a query sent with the token of a change made while `hold` holds
/// the projector) has not answered while held, then releases the hold and returns what it
/// answers.
async fn answered_only_after_release<T>(hold: Hold, request: impl Future<Output = T>) -> T {
    let mut request = std::pin::pin!(request);
    assert!(
        tokio::time::timeout(QUIET, &mut request).await.is_err(),
        "a query sent with a consistency token answered before the read side applied it"
    );
    hold.release().await;
    request.await
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

async fn a_query_sent_with_a_rename_token_waits_for_the_new_name(database: TestDatabase) {
    let app = HoldableApp::start(database, &[]).await;
    let (_, created) = app.organization_with_user().await;
    app.settle().await;
    let id = created["userId"].clone();
    let mut version = created["version"].as_i64().expect("a version");
    for round in 1..=3 {
        let name = format!("Ada Renamed {round}");
        let hold = app.hold().await;
        // The payload's `user` is not asked for: nothing waits for the read side but the header.
        let input = json!({ "id": id, "expectedVersion": version, "name": name });
        let payload = app
            .mutate("renameUser", input, "version consistencyToken")
            .await;
        version = payload["version"].as_i64().expect("a version");
        // Without the header the old name is served: the hold is what keeps the new one back.
        let stale = app.gql(USER_BY_ID, json!({ "id": id })).await;
        assert_no_errors(&stale);
        assert_ne!(stale["data"]["user"]["name"], name.as_str(), "{stale}");
        let token = token_of(&payload);
        let request = data_at(&app, &token, USER_BY_ID, json!({ "id": id }));
        let data = answered_only_after_release(hold, request).await;
        assert_eq!(data["user"]["name"], name.as_str(), "round {round}: {data}");
        assert_eq!(data["user"]["version"], version, "round {round}: {data}");
    }
}

async fn a_query_sent_with_an_organization_rename_token_waits_for_the_new_name_on_members(
    database: TestDatabase,
) {
    let app = HoldableApp::start(database, &[]).await;
    let (organization_id, created) = app.organization_with_user().await;
    app.settle().await;
    let hold = app.hold().await;
    let input = json!({ "id": organization_id, "expectedVersion": 1, "name": "Acme Renamed" });
    let payload = app
        .mutate("renameOrganization", input, "consistencyToken")
        .await;
    let token = token_of(&payload);

    let request = data_at(&app, &token, USER_BY_ID, json!({ "id": created["userId"] }));
    let data = answered_only_after_release(hold, request).await;
    assert_eq!(
        data["user"]["organization"]["name"], "Acme Renamed",
        "a member's copy: {data}"
    );
    let data = organization_data_at(&app, &token, &json!(organization_id)).await;
    assert_eq!(data["organization"]["name"], "Acme Renamed", "{data}");
    assert_eq!(data["organization"]["version"], 2, "{data}");
}

async fn a_query_sent_with_a_create_token_waits_for_the_new_user(database: TestDatabase) {
    let app = HoldableApp::start(database, &[]).await;
    let (organization_id, _) = app.organization_with_user().await;
    app.settle().await;
    let hold = app.hold().await;
    let input = json!({ "organizationId": organization_id, "email": "grace@example.com", "name": "Grace Hopper" });
    let payload = app
        .mutate("createUser", input, "userId consistencyToken")
        .await;
    let token = token_of(&payload);

    let request = data_at(&app, &token, MEMBER_IDS, json!({ "id": organization_id }));
    let data = answered_only_after_release(hold, request).await;
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

/// The readModel's lag, as (lagEvents, lagSeconds).
async fn lag(app: &TestApp) -> (i64, f64) {
    let body = app
        .gql("{ readModel { lagEvents lagSeconds } }", json!({}))
        .await;
    assert_no_errors(&body);
    let status = &body["data"]["readModel"];
    (
        status["lagEvents"].as_i64().expect("lagEvents"),
        status["lagSeconds"].as_f64().expect("lagSeconds"),
    )
}

/// The projector is held, so the token of a change made meanwhile is not reached within the
/// bound; once released it is. A token far ahead of the log is never reached.
async fn a_token_the_read_side_never_reaches_fails_with_consistency_timeout_after_the_bound(
    database: TestDatabase,
) {
    let bound = Duration::from_millis(300);
    let app = HoldableApp::start(database, &[("ROSTERQL_CONSISTENCY_TIMEOUT", "300ms")]).await;
    // No step before the hold is bounded by the short timeout: nothing asks the read side
    // to be anywhere until it has settled.
    let created = app
        .mutate(
            "createOrganization",
            json!({ "slug": "acme", "name": "Acme" }),
            "organizationId",
        )
        .await;
    let id = created["organizationId"].clone();
    app.settle().await;

    let hold = app.hold().await;
    let input = json!({ "id": id, "expectedVersion": 1, "name": "Acme Held" });
    let token = token_of(
        &app.mutate("renameOrganization", input, "consistencyToken")
            .await,
    );
    for token in [token.clone(), far_ahead(&token)] {
        let started = Instant::now();
        let (_, body) = query_at(&app, &token, ORGANIZATION_BY_ID, json!({ "id": id })).await;
        let waited = started.elapsed();
        assert_eq!(error_code(&body), "CONSISTENCY_TIMEOUT", "{token}: {body}");
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
    hold.release().await;
    app.settle().await;

    let data = organization_data_at(&app, &token, &id).await;
    assert_eq!(
        data["organization"]["name"], "Acme Held",
        "a token the read side reached answers: {data}"
    );
    let (_, body) = query_at(
        &app,
        &far_ahead(&token),
        ORGANIZATION_BY_ID,
        json!({ "id": id }),
    )
    .await;
    assert_eq!(
        error_code(&body),
        "CONSISTENCY_TIMEOUT",
        "a token past the log is never reached: {body}"
    );
}

/// A mutation whose change the read side does not apply within the bound is still accepted:
/// its payload has the ids, the version and the token, and `user` / `organization` is null
/// with a `CONSISTENCY_TIMEOUT` error at its path. The read model shows the lag meanwhile.
async fn a_mutation_payload_past_the_consistency_bound_keeps_its_ids_and_token(
    database: TestDatabase,
) {
    let app = HoldableApp::start(database, &[("ROSTERQL_CONSISTENCY_TIMEOUT", "300ms")]).await;
    let created = app
        .mutate(
            "createOrganization",
            json!({ "slug": "acme", "name": "Acme" }),
            "organizationId",
        )
        .await;
    let organization_id = text(&created["organizationId"]);
    let input =
        json!({ "organizationId": organization_id, "email": "ada@example.com", "name": "Ada" });
    let user_id = text(&app.mutate("createUser", input, "userId").await["userId"]);
    app.settle().await;
    assert_eq!(lag(&app).await, (0, 0.0), "caught up before the hold");

    let hold = app.hold().await;
    let cases = [
        (
            "renameUser",
            "userId",
            "user",
            json!({ "id": user_id, "expectedVersion": 1, "name": "Ada Held" }),
        ),
        (
            "renameOrganization",
            "organizationId",
            "organization",
            json!({ "id": organization_id, "expectedVersion": 1, "name": "Acme Held" }),
        ),
    ];
    for (mutation, id_field, read_field, input) in cases {
        let body = app
            .gql(&mutation_document(mutation), json!({ "input": input }))
            .await;
        let payload = &body["data"][mutation];
        assert_eq!(payload[id_field], input["id"], "{body}");
        assert_eq!(payload["version"], 2, "{body}");
        assert!(payload["consistencyToken"].is_string(), "{body}");
        assert!(payload[read_field].is_null(), "{body}");
        let errors = body["errors"].as_array().expect("errors");
        assert_eq!(errors.len(), 1, "{body}");
        assert_eq!(
            errors[0]["extensions"]["code"], "CONSISTENCY_TIMEOUT",
            "{body}"
        );
        assert_eq!(errors[0]["path"], json!([mutation, read_field]), "{body}");
    }
    let (events, seconds) = lag(&app).await;
    assert_eq!(events, 2, "both held changes are pending");
    assert!(
        seconds > 0.0,
        "the oldest pending change has an age: {seconds}"
    );

    hold.release().await;
    app.settle().await;
    assert_eq!(lag(&app).await, (0, 0.0), "caught up after the release");
    let body = app.gql(USER_BY_ID, json!({ "id": user_id })).await;
    assert_no_errors(&body);
    assert_eq!(
        body["data"]["user"],
        json!({ "name": "Ada Held", "version": 2, "organization": { "name": "Acme Held" } })
    );
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        a_query_sent_with_a_rename_token_waits_for_the_new_name,
        a_query_sent_with_an_organization_rename_token_waits_for_the_new_name_on_members,
        a_query_sent_with_a_create_token_waits_for_the_new_user,
        mutation_payloads_show_the_state_after_the_change,
        an_invalid_consistency_token_is_bad_user_input,
        a_token_the_read_side_never_reaches_fails_with_consistency_timeout_after_the_bound,
        a_mutation_payload_past_the_consistency_bound_keeps_its_ids_and_token,
    )
}
