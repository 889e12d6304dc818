//! GraphQL documents and field lists used across areas, and what every response must look
//! like.

use serde_json::{Value, json};

use super::TestApp;

/// Every field of a user, as the read side serves it.
pub(crate) const USER_FIELDS: &str =
    "id email name role status version organization { id slug name } createdAt updatedAt";
/// Every field of an organization, as the read side serves it.
pub(crate) const ORGANIZATION_FIELDS: &str =
    "id slug name memberCount activeMemberCount version createdAt updatedAt";

/// `renameUser` → `RenameUserInput`.
pub(crate) fn input_type(mutation: &str) -> String {
    let mut characters = mutation.chars();
    let first = characters
        .next()
        .expect("a mutation name")
        .to_ascii_uppercase();
    format!("{first}{}Input", characters.as_str())
}

/// The document running `mutation` with `$input`, selecting `selection` of its payload.
pub(crate) fn mutation(mutation: &str, selection: &str) -> String {
    let input_type = input_type(mutation);
    format!("mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ {selection} }} }}")
}

/// The document running `mutation` with `$input`, selecting its whole payload.
pub(crate) fn mutation_document(mutation: &str) -> String {
    let payload = match mutation {
        "createOrganization" | "renameOrganization" => format!(
            "organizationId version consistencyToken organization {{ {ORGANIZATION_FIELDS} }}"
        ),
        "deleteUser" => "userId version consistencyToken".to_owned(),
        _ => format!("userId version consistencyToken user {{ {USER_FIELDS} }}"),
    };
    self::mutation(mutation, &payload)
}

/// A command's input on aggregate `id` at `expected_version`, plus its own `fields`.
pub(crate) fn input(id: &str, expected_version: i64, fields: Value) -> Value {
    let mut input = json!({ "id": id, "expectedVersion": expected_version });
    if let (Some(input), Value::Object(fields)) = (input.as_object_mut(), fields) {
        input.extend(fields);
    }
    input
}

/// A `userChanged` subscription taking `$organizationId`, `$userId` and `$after`, selecting
/// `selection` of each change.
pub(crate) fn user_changed(selection: &str) -> String {
    format!(
        "subscription($organizationId: ID, $userId: ID, $after: String) {{
            userChanged(organizationId: $organizationId, userId: $userId, after: $after) {{ {selection} }} }}"
    )
}

/// The whole read side and the log's head, once the read side has caught up: two equal
/// snapshots mean no event was written and no read row changed in between.
pub(crate) async fn snapshot(app: &TestApp) -> Value {
    app.settle().await;
    let query = format!(
        "{{ readModel {{ headPosition }}
            organizations(first: 100) {{ totalCount nodes {{ {ORGANIZATION_FIELDS} }} }}
            users(first: 100) {{ totalCount nodes {{ {USER_FIELDS} }} }} }}"
    );
    let body = app.gql(&query, json!({})).await;
    assert_no_errors(&body);
    body["data"].clone()
}

pub(crate) fn assert_no_errors(body: &Value) {
    assert!(body.get("errors").is_none(), "unexpected errors: {body}");
}

/// The `extensions.code` of the first error.
pub(crate) fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {body}"))
}

/// Fails when an error shows how the server is built (SQL, constraint names, …).
pub(crate) fn assert_no_internal_detail(error: &Value) {
    let text = error.to_string().to_lowercase();
    for leak in [
        "sql",
        "constraint",
        "unique",
        "duplicate key",
        "users_email_key",
        "organizations_slug_key",
        "dberr",
        "panicked",
    ] {
        assert!(!text.contains(leak), "the error leaks {leak:?}: {error}");
    }
}

/// A string of a response (an id, a position, a token).
pub(crate) fn text(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
        .to_owned()
}
