//! Per-caller budgets: a caller over one is answered 429 with `Retry-After` and
//! `RATE_LIMITED`, unrun (over WebSocket, an `error` for that operation); mutations and
//! anonymous reads draw on separate budgets; reads with a token are not limited; each caller
//! has its own budget.

use std::time::Duration;

use libtest_mimic::Trial;
use rosterql::auth::Role;
use rosterql::config::Config;
use serde_json::{Value, json};

use crate::support::{
    Backend, TestApp, TestDatabase, WsClient, assert_no_errors, error_code, keys,
    on_both_databases, refused_at_start,
};

const READ: &str = "{ organizations { totalCount } }";

/// POSTs `document` with `token`; returns the status, the `Retry-After` header and the body.
async fn send(app: &TestApp, token: Option<&str>, document: &str) -> (u16, Option<u64>, Value) {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": document }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let retry_after = response.headers().get("retry-after").map(|value| {
        value
            .to_str()
            .expect("ASCII")
            .parse()
            .expect("whole seconds")
    });
    (
        status,
        retry_after,
        response.json().await.expect("a JSON body"),
    )
}

/// `document` must be refused over the budget of `budget`, with a wait of a few seconds.
async fn rate_limited(app: &TestApp, token: Option<&str>, document: &str, budget: &str) {
    let (status, retry_after, body) = send(app, token, document).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(error_code(&body), "RATE_LIMITED", "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains(budget), "{body}");
    assert!(body.get("data").is_none(), "refused unrun: {body}");
    let retry_after = retry_after.expect("a Retry-After header");
    assert!(
        (1..=6).contains(&retry_after),
        "one request back every 6 s: {retry_after}"
    );
    assert_eq!(
        body["errors"][0]["extensions"]["retryAfter"], retry_after,
        "{body}"
    );
}

/// Budgets of ten a minute: the smallest rate, so a test meets it in a few requests.
fn ten_a_minute(config: &mut Config) {
    config.rate_limit_mutations = "10/min".parse().expect("a rate");
    config.rate_limit_anonymous_reads = "10/min".parse().expect("a rate");
}

fn create(slug: &str) -> String {
    format!(
        r#"mutation {{ createOrganization(input: {{slug: "{slug}", name: "N"}}) {{ version }} }}"#
    )
}

async fn anonymous_reads_over_their_budget_get_429_and_tokens_read_on(database: TestDatabase) {
    let app = TestApp::spawn_on(database, ten_a_minute).await;
    for _ in 0..10 {
        let (status, _, body) = send(&app, None, READ).await;
        assert_eq!(status, 200, "{body}");
    }
    rate_limited(&app, None, READ, "anonymous reads").await;
    let (status, _, body) = send(&app, Some(&app.viewer), READ).await;
    assert_eq!(status, 200, "a viewer's reads are not limited: {body}");
    let (status, _, body) = send(&app, Some(&app.admin), &create("still-open")).await;
    assert_eq!(status, 200, "mutations have their own budget: {body}");
    assert_no_errors(&body);
}

async fn mutations_over_their_budget_are_refused_unwritten_per_caller(database: TestDatabase) {
    let app = TestApp::spawn_on(database, ten_a_minute).await;
    for n in 0..10 {
        let (status, _, body) = send(&app, Some(&app.admin), &create(&format!("o{n}"))).await;
        assert_eq!(status, 200, "{body}");
        assert_no_errors(&body);
    }
    rate_limited(&app, Some(&app.admin), &create("over"), "mutations").await;
    app.settle().await;
    let body = app.gql(READ, json!({})).await;
    assert_eq!(body["data"]["organizations"]["totalCount"], 10, "{body}");
    let other = keys()
        .issue("another-admin", Role::Admin, Duration::from_secs(600))
        .expect("a token");
    let (status, _, body) = send(&app, Some(&other), &create("other")).await;
    assert_eq!(status, 200, "another caller has its own budget: {body}");
    assert_no_errors(&body);
}

async fn operations_over_websocket_draw_on_the_same_budgets(database: TestDatabase) {
    let app = TestApp::spawn_on(database, ten_a_minute).await;
    for n in 0..10 {
        let (status, _, body) = send(&app, Some(&app.admin), &create(&format!("h{n}"))).await;
        assert_eq!(status, 200, "{body}");
    }
    let mut admin = WsClient::connect(&app, Some(&app.admin)).await;
    admin.subscribe("1", &create("over"), json!({})).await;
    let refusal = admin.receive().await.expect("a refusal");
    assert_eq!(refusal["type"], "error", "{refusal}");
    assert_eq!(refusal["id"], "1", "{refusal}");
    let error = &refusal["payload"][0];
    assert_eq!(error["extensions"]["code"], "RATE_LIMITED", "{refusal}");
    assert!(
        error["extensions"]["retryAfter"].as_u64() >= Some(1),
        "{refusal}"
    );

    // The socket stays open, and anonymous reads have their own budget.
    let mut anonymous = WsClient::connect(&app, None).await;
    for n in 0..10 {
        anonymous.subscribe(&n.to_string(), READ, json!({})).await;
        assert_no_errors(&anonymous.next_data().await);
        let complete = anonymous.receive().await.expect("its end");
        assert_eq!(complete["type"], "complete", "{complete}");
    }
    anonymous.subscribe("over", READ, json!({})).await;
    let refusal = anonymous.receive().await.expect("a refusal");
    assert_eq!(
        refusal["payload"][0]["extensions"]["code"], "RATE_LIMITED",
        "{refusal}"
    );
    admin.subscribe("2", READ, json!({})).await;
    assert!(
        admin.next_data().await["data"].is_object(),
        "the admin socket is open"
    );
}

async fn the_binary_takes_its_budgets_from_the_environment(database: TestDatabase) {
    let app = TestApp::spawn_process(
        database,
        &[("ROSTERQL_RATE_LIMIT_ANONYMOUS_READS", "10/min")],
    )
    .await;
    for _ in 0..10 {
        assert_eq!(send(&app, None, READ).await.0, 200);
    }
    rate_limited(&app, None, READ, "anonymous reads").await;
}

fn rates_that_are_no_rate_or_below_a_batch_are_refused_at_start() {
    for (variable, value) in [
        ("ROSTERQL_RATE_LIMIT_MUTATIONS", "9/s"),
        ("ROSTERQL_RATE_LIMIT_MUTATIONS", "100"),
        ("ROSTERQL_RATE_LIMIT_ANONYMOUS_READS", "0/s"),
        ("ROSTERQL_RATE_LIMIT_ANONYMOUS_READS", "10/day"),
    ] {
        let stderr = refused_at_start(&["serve"], &[(variable, value)]);
        let flag = variable
            .trim_start_matches("ROSTERQL_")
            .replace('_', "-")
            .to_lowercase();
        assert!(
            stderr.contains(&flag) && stderr.contains(value),
            "{variable}={value}: {stderr}"
        );
    }
}

pub(super) fn trials() -> Vec<Trial> {
    let mut trials = crate::support::harness::on_backends!(
        [Backend::Sqlite];
        anonymous_reads_over_their_budget_get_429_and_tokens_read_on,
        operations_over_websocket_draw_on_the_same_budgets,
        the_binary_takes_its_budgets_from_the_environment,
    );
    // A refused mutation must leave nothing written, on both databases.
    trials.extend(on_both_databases!(
        mutations_over_their_budget_are_refused_unwritten_per_caller,
    ));
    trials.extend(crate::support::without_database!(
        rates_that_are_no_rate_or_below_a_batch_are_refused_at_start,
    ));
    trials
}
