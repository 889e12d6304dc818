//! Running commands and reading what they changed, for every file of `commands`: an
//! accepted command must answer with its new version and a consistency token, a refused one
//! with its code, having written nothing and leaked nothing.

use serde_json::{Value, json};

use crate::support::{
    ORGANIZATION_FIELDS, TestApp, USER_FIELDS, assert_no_errors, assert_no_internal_detail,
    error_code, input, mutation_document, snapshot,
};

// ---------------------------------------------------------------------------------------
// Running commands

/// Runs `mutation` with `input` as an admin; returns the whole response.
pub(super) async fn run(app: &TestApp, mutation: &str, input: &Value) -> Value {
    app.gql(&mutation_document(mutation), json!({ "input": input }))
        .await
}

/// Runs `mutation`, which must be accepted; returns its payload.
pub(super) async fn accepted(app: &TestApp, mutation: &str, input: Value) -> Value {
    let body = run(app, mutation, &input).await;
    assert_no_errors(&body);
    let payload = body["data"][mutation].clone();
    let token = payload["consistencyToken"].as_str().unwrap_or_default();
    assert!(
        !token.is_empty(),
        "{mutation}: no consistency token in {payload}"
    );
    payload
}

/// Runs `mutation`, which must be refused with `code`, without writing anything and without
/// leaking internals. Returns the error.
pub(super) async fn refused(app: &TestApp, mutation: &str, input: Value, code: &str) -> Value {
    let before = snapshot(app).await;
    let body = run(app, mutation, &input).await;
    assert_eq!(error_code(&body), code, "{mutation}({input}): {body}");
    assert!(
        body["data"][mutation].is_null(),
        "{mutation}({input}) refused with a payload: {body}"
    );
    assert_eq!(body["errors"].as_array().map(Vec::len), Some(1), "{body}");
    let error = body["errors"][0].clone();
    assert_no_internal_detail(&error);
    assert_eq!(
        snapshot(app).await,
        before,
        "{mutation}({input}) was refused but wrote something"
    );
    error
}

/// Every command that takes a name, with `name`: on organization `acme` and user `ada`
/// (both at version 1), or creating new ones.
pub(super) fn name_inputs(acme: &str, ada: &str, name: &str) -> [(&'static str, Value); 4] {
    [
        (
            "createOrganization",
            json!({ "slug": "globex", "name": name }),
        ),
        (
            "renameOrganization",
            input(acme, 1, json!({ "name": name })),
        ),
        (
            "createUser",
            json!({ "organizationId": acme, "email": "grace@example.com", "name": name }),
        ),
        ("renameUser", input(ada, 1, json!({ "name": name }))),
    ]
}

/// Runs `mutation`, which must be refused as BAD_USER_INPUT naming `field`.
pub(super) async fn refused_input(app: &TestApp, mutation: &str, input: Value, field: &str) {
    let error = refused(app, mutation, input.clone(), "BAD_USER_INPUT").await;
    assert_eq!(
        error["extensions"]["field"], field,
        "{mutation}({input}): {error}"
    );
}

/// Runs `mutation` on user `id` at `version`: the payload must carry version + 1 and the
/// read-side user, which `user(id)` must then read the same. Returns that user.
pub(super) async fn change_user(
    app: &TestApp,
    mutation: &str,
    id: &str,
    version: i64,
    fields: Value,
) -> Value {
    let payload = accepted(app, mutation, input(id, version, fields)).await;
    assert_eq!(payload["userId"], id, "{payload}");
    assert_eq!(payload["version"], version + 1, "{payload}");
    assert_eq!(payload["user"]["version"], version + 1, "{payload}");
    assert_eq!(read_user(app, id).await, payload["user"]);
    payload["user"].clone()
}

/// Every command on an existing user, with its own fields (besides id and version).
pub(super) fn user_commands() -> [(&'static str, Value); 6] {
    [
        ("renameUser", json!({ "name": "Someone Else" })),
        (
            "changeUserEmail",
            json!({ "email": "someone.else@example.com" }),
        ),
        ("changeUserRole", json!({ "role": "GUEST" })),
        ("suspendUser", json!({ "reason": "testing" })),
        ("reactivateUser", json!({})),
        ("deleteUser", json!({})),
    ]
}

/// Every command naming an existing aggregate by id, with its own fields.
pub(super) fn commands_by_id() -> Vec<(&'static str, Value)> {
    let mut commands = vec![("renameOrganization", json!({ "name": "Renamed" }))];
    commands.extend(user_commands());
    commands
}

// ---------------------------------------------------------------------------------------
// Fixtures and reads

pub(super) fn id_of(payload: &Value, field: &str) -> String {
    payload[field]
        .as_str()
        .unwrap_or_else(|| panic!("no {field} in {payload}"))
        .to_owned()
}

pub(super) async fn add_organization(app: &TestApp, slug: &str, name: &str) -> String {
    id_of(&app.create_organization(slug, name).await, "organizationId")
}

pub(super) async fn add_user(
    app: &TestApp,
    organization_id: &str,
    email: &str,
    name: &str,
) -> String {
    id_of(
        &app.create_user(organization_id, email, name).await,
        "userId",
    )
}

/// `user(id)` once the read side has caught up (null when there is none).
pub(super) async fn read_user(app: &TestApp, id: &str) -> Value {
    read_by_id(app, "user", USER_FIELDS, id).await
}

/// `organization(id)` once the read side has caught up.
pub(super) async fn read_organization(app: &TestApp, id: &str) -> Value {
    read_by_id(app, "organization", ORGANIZATION_FIELDS, id).await
}

/// `field(id: $id) { fields }` once the read side has caught up.
async fn read_by_id(app: &TestApp, field: &str, fields: &str, id: &str) -> Value {
    app.settle().await;
    let query = format!("query($id: ID!) {{ {field}(id: $id) {{ {fields} }} }}");
    let body = app.gql(&query, json!({ "id": id })).await;
    assert_no_errors(&body);
    body["data"][field].clone()
}

/// `userByEmail(email) { id }` once the read side has caught up (null when none).
pub(super) async fn id_by_email(app: &TestApp, email: &str) -> Value {
    app.settle().await;
    let body = app
        .gql(
            "query($email: String!) { userByEmail(email: $email) { id } }",
            json!({ "email": email }),
        )
        .await;
    assert_no_errors(&body);
    body["data"]["userByEmail"]["id"].clone()
}

/// The ids `users(organizationId, filter)` lists, once the read side has caught up.
pub(super) async fn listed_ids(
    app: &TestApp,
    organization_id: Option<&str>,
    filter: Value,
) -> Vec<String> {
    app.settle().await;
    let body = app
        .gql(
            "query($organization: ID, $filter: UserFilter) {
                users(organizationId: $organization, filter: $filter, first: 100) { nodes { id } } }",
            json!({ "organization": organization_id, "filter": filter }),
        )
        .await;
    assert_no_errors(&body);
    body["data"]["users"]["nodes"]
        .as_array()
        .expect("a list of users")
        .iter()
        .map(|node| id_of(node, "id"))
        .collect()
}

/// `(memberCount, activeMemberCount)` of an organization on the read side.
pub(super) async fn member_counts(app: &TestApp, organization_id: &str) -> (Value, Value) {
    let organization = read_organization(app, organization_id).await;
    (
        organization["memberCount"].clone(),
        organization["activeMemberCount"].clone(),
    )
}

/// `before` with `changes` applied, the version bumped once and `after`'s update time: what
/// `after` must equal when a command changed exactly `changes`.
pub(super) fn changed(before: &Value, after: &Value, changes: Value) -> Value {
    let mut expected = before.clone();
    let fields = expected.as_object_mut().expect("an object");
    fields.extend(changes.as_object().expect("an object of changes").clone());
    fields.insert(
        "version".into(),
        json!(before["version"].as_i64().expect("a version") + 1),
    );
    fields.insert("updatedAt".into(), after["updatedAt"].clone());
    expected
}
