//! Idempotent retries (`Idempotency-Key`): a retry with the same key and body gets the first
//! response without running the command again, even when both attempts run at once; the
//! same key with another body is `IDEMPOTENCY_KEY_REUSED`; keys are each caller's own, a
//! refused command leaves its key free, and a purged key runs again.

use std::time::Duration;

use chrono::Utc;
use libtest_mimic::Trial;
use rosterql::auth::Role;
use serde_json::{Value, json};

use crate::support::{
    TestApp, assert_no_errors, error_code, input, keys, mutation_document, on_both_databases,
};

const CREATE_USER: &str = "createUser";
const PAYLOAD: [&str; 3] = ["userId", "version", "consistencyToken"];

/// `mutation` with `input`, sent by `token` under `key`; returns the status and the body.
async fn send(app: &TestApp, token: &str, key: &str, mutation: &str, input: Value) -> Value {
    let body = json!({ "query": mutation_document(mutation), "variables": { "input": input } });
    let (status, answer) = app
        .post(Some(token), &[("idempotency-key", key)], body)
        .await;
    assert!(status == 200 || status == 400, "{status}: {answer}");
    answer
}

/// `createUser` of `email` in `organization_id`, sent by `token` under `key`.
async fn create_user(
    app: &TestApp,
    token: &str,
    key: &str,
    organization_id: &str,
    email: &str,
) -> Value {
    send(
        app,
        token,
        key,
        CREATE_USER,
        new_user(organization_id, email),
    )
    .await
}

fn new_user(organization_id: &str, email: &str) -> Value {
    json!({ "organizationId": organization_id, "email": email, "name": "Grace" })
}

async fn user_count(app: &TestApp) -> Value {
    app.settle().await;
    app.gql("{ users { totalCount } }", json!({})).await["data"]["users"]["totalCount"].clone()
}

fn payload(body: &Value, mutation: &str) -> Vec<Value> {
    assert_no_errors(body);
    PAYLOAD
        .iter()
        .map(|field| body["data"][mutation][field].clone())
        .collect()
}

async fn a_retry_gets_the_first_response_without_running_again(app: TestApp) {
    let (organization_id, _) = app.organization_with_user().await;
    let grace = new_user(&organization_id, "grace@example.com");
    let first = send(&app, &app.admin, "retry-1", CREATE_USER, grace.clone()).await;
    let retried = send(&app, &app.admin, "retry-1", CREATE_USER, grace).await;
    assert_eq!(payload(&first, CREATE_USER), payload(&retried, CREATE_USER));
    assert_eq!(
        retried["data"][CREATE_USER]["user"]["email"],
        "grace@example.com"
    );
    assert_eq!(user_count(&app).await, 2, "one user created, not two");

    // An update too: the retry does not rename twice (it would be a VERSION_CONFLICT).
    let user_id = first["data"][CREATE_USER]["userId"]
        .as_str()
        .expect("an id");
    let rename = input(user_id, 1, json!({ "name": "Grace Hopper" }));
    let renamed = send(&app, &app.admin, "rename-1", "renameUser", rename.clone()).await;
    let again = send(&app, &app.admin, "rename-1", "renameUser", rename).await;
    assert_eq!(
        payload(&renamed, "renameUser"),
        payload(&again, "renameUser")
    );
    assert_eq!(again["data"]["renameUser"]["version"], 2, "{again}");
}

async fn attempts_at_once_run_the_command_once(app: TestApp) {
    let (organization_id, _) = app.organization_with_user().await;
    let grace = new_user(&organization_id, "grace@example.com");
    let attempts = (0..4).map(|_| send(&app, &app.admin, "at-once", CREATE_USER, grace.clone()));
    let answers = futures_util::future::join_all(attempts).await;
    let first = payload(&answers[0], CREATE_USER);
    for answer in &answers {
        assert_eq!(payload(answer, CREATE_USER), first, "{answer}");
    }
    assert_eq!(user_count(&app).await, 2, "one user created");
}

async fn the_same_key_with_another_request_is_refused_unwritten(app: TestApp) {
    let (organization_id, _) = app.organization_with_user().await;
    let first = create_user(&app, &app.admin, "k", &organization_id, "a@example.com").await;
    assert_no_errors(&first);
    let other = create_user(&app, &app.admin, "k", &organization_id, "b@example.com").await;
    assert_eq!(error_code(&other), "IDEMPOTENCY_KEY_REUSED", "{other}");
    assert_eq!(user_count(&app).await, 2, "b@example.com was not created");
}

async fn keys_are_each_callers_own_and_a_refused_command_leaves_its_key_free(app: TestApp) {
    let (organization_id, _) = app.organization_with_user().await;
    let other_admin = keys()
        .issue("another-admin", Role::Admin, Duration::from_secs(600))
        .expect("a token");
    let mine = create_user(
        &app,
        &app.admin,
        "shared",
        &organization_id,
        "a@example.com",
    )
    .await;
    let theirs = create_user(
        &app,
        &other_admin,
        "shared",
        &organization_id,
        "b@example.com",
    )
    .await;
    assert_no_errors(&mine);
    assert_no_errors(&theirs);
    assert_ne!(payload(&mine, CREATE_USER), payload(&theirs, CREATE_USER));

    // Refused (the email is taken): nothing is stored, so the key runs its next request.
    let taken = create_user(&app, &app.admin, "free", &organization_id, "a@example.com").await;
    assert_eq!(error_code(&taken), "ALREADY_EXISTS", "{taken}");
    let next = create_user(&app, &app.admin, "free", &organization_id, "c@example.com").await;
    assert_no_errors(&next);
    assert_eq!(user_count(&app).await, 4);
}

async fn a_bad_key_or_a_key_on_a_batch_is_refused_unrun(app: TestApp) {
    let (organization_id, _) = app.organization_with_user().await;
    let body = json!({
        "query": mutation_document(CREATE_USER),
        "variables": { "input": new_user(&organization_id, "a@example.com") },
    });
    let long = "k".repeat(256);
    for key in ["", long.as_str()] {
        let (status, answer) = app
            .post(Some(&app.admin), &[("idempotency-key", key)], body.clone())
            .await;
        assert_eq!(
            (status, error_code(&answer)),
            (400, "BAD_USER_INPUT"),
            "{answer}"
        );
    }
    let batch = json!([body]);
    let (status, answer) = app
        .post(Some(&app.admin), &[("idempotency-key", "k")], batch)
        .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(user_count(&app).await, 1);
}

async fn a_purged_key_runs_again(app: TestApp) {
    let (_, user) = app.organization_with_user().await;
    let user_id = user["userId"].as_str().expect("an id");
    let rename = input(user_id, 1, json!({ "name": "Ada L." }));
    let first = send(&app, &app.admin, "old", "renameUser", rename.clone()).await;
    assert_no_errors(&first);
    let commands = app.database().command_service().await;
    let purged = commands
        .purge_idempotency_keys(Utc::now() + chrono::Duration::seconds(1))
        .await
        .expect("the purge runs");
    assert_eq!(purged, 1);
    let again = send(&app, &app.admin, "old", "renameUser", rename).await;
    assert_eq!(
        error_code(&again),
        "VERSION_CONFLICT",
        "it ran again: {again}"
    );
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        a_retry_gets_the_first_response_without_running_again,
        attempts_at_once_run_the_command_once,
        the_same_key_with_another_request_is_refused_unwritten,
        keys_are_each_callers_own_and_a_refused_command_leaves_its_key_free,
        a_bad_key_or_a_key_on_a_batch_is_refused_unrun,
        a_purged_key_runs_again,
    )
}
