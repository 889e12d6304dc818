//! Every mutation of the contract through the real server: what an accepted command
//! changes (its version, its payload, the read side) and every way a command is refused,
//! each refusal leaving nothing half-written (no new event, the same read side) and no
//! internal detail in its message.

use libtest_mimic::Trial;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{TestApp, assert_no_errors, error_code, on_both_databases};
use crate::values::{
    BLANK_NAMES, INVALID_EMAILS, INVALID_IDS, INVALID_SLUGS, LONGEST_EMAIL, LONGEST_NAME,
    OVER_LONG_EMAIL, OVER_LONG_NAMES, VALID_SLUGS,
};

const USER_FIELDS: &str =
    "id email name role status version organization { id slug name } createdAt updatedAt";
const ORGANIZATION_FIELDS: &str =
    "id slug name memberCount activeMemberCount version createdAt updatedAt";

// ---------------------------------------------------------------------------------------
// GraphQL snippets (shared with auth.rs)
// ---------------------------------------------------------------------------------------

/// The document running `mutation` with `$input`, selecting its whole payload.
pub(crate) fn mutation_document(mutation: &str) -> String {
    let input_type = format!("{}{}Input", mutation[..1].to_uppercase(), &mutation[1..]);
    let payload = match mutation {
        "createOrganization" | "renameOrganization" => format!(
            "organizationId version consistencyToken organization {{ {ORGANIZATION_FIELDS} }}"
        ),
        "deleteUser" => "userId version consistencyToken".to_owned(),
        _ => format!("userId version consistencyToken user {{ {USER_FIELDS} }}"),
    };
    format!("mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ {payload} }} }}")
}

/// A command's input on aggregate `id` at `expected_version`, plus its own `fields`.
pub(crate) fn input(id: &str, expected_version: i64, fields: Value) -> Value {
    let mut input = json!({ "id": id, "expectedVersion": expected_version });
    if let (Some(input), Value::Object(fields)) = (input.as_object_mut(), fields) {
        input.extend(fields);
    }
    input
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

// ---------------------------------------------------------------------------------------
// Running commands
// ---------------------------------------------------------------------------------------

/// Runs `mutation` with `input` as an admin; returns the whole response.
async fn run(app: &TestApp, mutation: &str, input: &Value) -> Value {
    app.gql(&mutation_document(mutation), json!({ "input": input }))
        .await
}

/// Runs `mutation`, which must be accepted; returns its payload.
async fn accepted(app: &TestApp, mutation: &str, input: Value) -> Value {
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
async fn refused(app: &TestApp, mutation: &str, input: Value, code: &str) -> Value {
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

/// Runs `mutation`, which must be refused as BAD_USER_INPUT naming `field`.
async fn refused_input(app: &TestApp, mutation: &str, input: Value, field: &str) {
    let error = refused(app, mutation, input.clone(), "BAD_USER_INPUT").await;
    assert_eq!(
        error["extensions"]["field"], field,
        "{mutation}({input}): {error}"
    );
}

/// Runs `mutation` on user `id` at `version`: the payload must carry version + 1 and the
/// read-side user, which `user(id)` must then read the same. Returns that user.
async fn change_user(
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
fn user_commands() -> [(&'static str, Value); 6] {
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
fn commands_by_id() -> Vec<(&'static str, Value)> {
    let mut commands = vec![("renameOrganization", json!({ "name": "Renamed" }))];
    commands.extend(user_commands());
    commands
}

// ---------------------------------------------------------------------------------------
// Fixtures and reads
// ---------------------------------------------------------------------------------------

fn id_of(payload: &Value, field: &str) -> String {
    payload[field]
        .as_str()
        .unwrap_or_else(|| panic!("no {field} in {payload}"))
        .to_owned()
}

/// The organization `acme` with the active user Ada; returns their ids.
async fn acme_with_ada(app: &TestApp) -> (String, String) {
    let (organization_id, user) = app.organization_with_user().await;
    (organization_id, id_of(&user, "userId"))
}

async fn add_organization(app: &TestApp, slug: &str, name: &str) -> String {
    id_of(&app.create_organization(slug, name).await, "organizationId")
}

async fn add_user(app: &TestApp, organization_id: &str, email: &str, name: &str) -> String {
    id_of(
        &app.create_user(organization_id, email, name).await,
        "userId",
    )
}

/// `user(id)` once the read side has caught up (null when there is none).
async fn read_user(app: &TestApp, id: &str) -> Value {
    app.settle().await;
    let query = format!("query($id: ID!) {{ user(id: $id) {{ {USER_FIELDS} }} }}");
    let body = app.gql(&query, json!({ "id": id })).await;
    assert_no_errors(&body);
    body["data"]["user"].clone()
}

/// `organization(id)` once the read side has caught up.
async fn read_organization(app: &TestApp, id: &str) -> Value {
    app.settle().await;
    let query = format!("query($id: ID!) {{ organization(id: $id) {{ {ORGANIZATION_FIELDS} }} }}");
    let body = app.gql(&query, json!({ "id": id })).await;
    assert_no_errors(&body);
    body["data"]["organization"].clone()
}

/// `userByEmail(email) { id }` once the read side has caught up (null when none).
async fn id_by_email(app: &TestApp, email: &str) -> Value {
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
async fn listed_ids(app: &TestApp, organization_id: Option<&str>, filter: Value) -> Vec<String> {
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
async fn member_counts(app: &TestApp, organization_id: &str) -> (Value, Value) {
    let organization = read_organization(app, organization_id).await;
    (
        organization["memberCount"].clone(),
        organization["activeMemberCount"].clone(),
    )
}

/// `before` with `changes` applied, the version bumped once and `after`'s update time: what
/// `after` must equal when a command changed exactly `changes`.
fn changed(before: &Value, after: &Value, changes: Value) -> Value {
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

// ---------------------------------------------------------------------------------------
// Accepted commands
// ---------------------------------------------------------------------------------------

async fn creating_an_organization_starts_it_at_version_one_with_no_members(app: TestApp) {
    let payload = accepted(
        &app,
        "createOrganization",
        json!({ "slug": "acme", "name": "Acme Corp" }),
    )
    .await;
    let id = id_of(&payload, "organizationId");
    assert_eq!(payload["version"], 1);
    let organization = &payload["organization"];
    assert_eq!(organization["id"], id.as_str());
    assert_eq!(
        [
            &organization["slug"],
            &organization["name"],
            &organization["memberCount"]
        ],
        [&json!("acme"), &json!("Acme Corp"), &json!(0)]
    );
    assert_eq!(
        (&organization["activeMemberCount"], &organization["version"]),
        (&json!(0), &json!(1))
    );

    assert_eq!(&read_organization(&app, &id).await, organization);
    let query = format!("{{ organization(slug: \"acme\") {{ {ORGANIZATION_FIELDS} }} }}");
    assert_eq!(
        &app.gql(&query, json!({})).await["data"]["organization"],
        organization
    );
}

async fn renaming_an_organization_grows_its_version_and_renames_it_on_its_members(app: TestApp) {
    let (acme, ada) = acme_with_ada(&app).await;
    let grace = add_user(&app, &acme, "grace@example.com", "Grace Hopper").await;
    let globex = add_organization(&app, "globex", "Globex").await;
    let hank = add_user(&app, &globex, "hank@example.com", "Hank Scorpio").await;
    // The members are read once first, so that any cached copy of them is stale after the
    // rename.
    for member in [&ada, &grace, &hank] {
        read_user(&app, member).await;
    }
    let before = read_organization(&app, &acme).await;

    let payload = accepted(
        &app,
        "renameOrganization",
        input(&acme, 1, json!({ "name": "Acme Corp" })),
    )
    .await;
    assert_eq!(
        (&payload["organizationId"], &payload["version"]),
        (&json!(acme), &json!(2))
    );
    let renamed = &payload["organization"];
    assert_eq!(
        renamed,
        &changed(&before, renamed, json!({ "name": "Acme Corp" }))
    );
    assert_eq!(&read_organization(&app, &acme).await, renamed);

    let again = accepted(
        &app,
        "renameOrganization",
        input(&acme, 2, json!({ "name": "Acme Inc" })),
    )
    .await;
    assert_eq!(
        (&again["version"], &again["organization"]["name"]),
        (&json!(3), &json!("Acme Inc"))
    );
    for member in [&ada, &grace] {
        let user = read_user(&app, member).await;
        assert_eq!(
            user["organization"],
            json!({ "id": acme, "slug": "acme", "name": "Acme Inc" })
        );
        assert_eq!(
            user["version"], 1,
            "renaming the organization is no command on {user}"
        );
    }
    let outsider = read_user(&app, &hank).await;
    assert_eq!(
        outsider["organization"],
        json!({ "id": globex, "slug": "globex", "name": "Globex" })
    );
}

async fn a_created_user_is_active_at_version_one_with_the_given_role_or_member(app: TestApp) {
    let acme = add_organization(&app, "acme", "Acme").await;
    let payload = accepted(
        &app,
        "createUser",
        json!({ "organizationId": acme, "email": "ada@example.com", "name": "Ada Lovelace" }),
    )
    .await;
    let ada = id_of(&payload, "userId");
    assert_eq!(payload["version"], 1);
    let user = &payload["user"];
    assert_eq!(
        [
            &user["id"],
            &user["email"],
            &user["name"],
            &user["role"],
            &user["status"],
            &user["version"]
        ],
        [
            &json!(ada),
            &json!("ada@example.com"),
            &json!("Ada Lovelace"),
            &json!("MEMBER"),
            &json!("ACTIVE"),
            &json!(1)
        ]
    );
    assert_eq!(
        user["organization"],
        json!({ "id": acme, "slug": "acme", "name": "Acme" })
    );
    assert_eq!(&read_user(&app, &ada).await, user);

    let guest = accepted(
        &app,
        "createUser",
        json!({ "organizationId": acme, "email": "gus@example.com", "name": "Gus", "role": "GUEST" }),
    )
    .await;
    let gus = id_of(&guest, "userId");
    assert_eq!(
        (&guest["version"], &guest["user"]["role"]),
        (&json!(1), &json!("GUEST"))
    );
    assert_eq!(read_user(&app, &gus).await["role"], "GUEST");
    assert_eq!(listed_ids(&app, Some(&acme), json!(null)).await, [ada, gus]);
}

async fn names_are_trimmed_and_emails_trimmed_and_lower_cased(app: TestApp) {
    let organization = accepted(
        &app,
        "createOrganization",
        json!({ "slug": "acme", "name": " \tAcme  " }),
    )
    .await;
    let acme = id_of(&organization, "organizationId");
    assert_eq!(organization["organization"]["name"], "Acme");
    let created = accepted(
        &app,
        "createUser",
        json!({ "organizationId": acme, "email": "  Grace.Hopper@Example.COM ", "name": "  Grace Hopper\n" }),
    )
    .await;
    let grace = id_of(&created, "userId");
    assert_eq!(
        (&created["user"]["email"], &created["user"]["name"]),
        (&json!("grace.hopper@example.com"), &json!("Grace Hopper"))
    );

    change_user(
        &app,
        "renameUser",
        &grace,
        1,
        json!({ "name": "  Amazing  Grace " }),
    )
    .await;
    let user = change_user(
        &app,
        "changeUserEmail",
        &grace,
        2,
        json!({ "email": " AMAZING@Navy.MIL\t" }),
    )
    .await;
    assert_eq!(
        (&user["name"], &user["email"]),
        (&json!("Amazing  Grace"), &json!("amazing@navy.mil"))
    );
    let renamed = accepted(
        &app,
        "renameOrganization",
        input(&acme, 1, json!({ "name": "  Acme Inc " })),
    )
    .await;
    assert_eq!(renamed["organization"]["name"], "Acme Inc");
    assert_eq!(
        read_user(&app, &grace).await["organization"]["name"],
        "Acme Inc"
    );
}

async fn every_accepted_user_command_grows_the_version_by_exactly_one(app: TestApp) {
    let (_, ada) = acme_with_ada(&app).await;
    let mut tokens = Vec::new();
    for (version, (mutation, fields)) in (1..).zip(user_commands()) {
        let head = snapshot(&app).await["readModel"]["headPosition"].clone();
        let payload = accepted(&app, mutation, input(&ada, version, fields)).await;
        assert_eq!(
            (&payload["userId"], &payload["version"]),
            (&json!(ada), &json!(version + 1)),
            "{mutation}"
        );
        if mutation != "deleteUser" {
            assert_eq!(
                payload["user"]["version"],
                version + 1,
                "{mutation}: {payload}"
            );
        }
        let token = id_of(&payload, "consistencyToken");
        assert!(
            !tokens.contains(&token),
            "{mutation} reused a consistency token: {token}"
        );
        tokens.push(token);
        let moved = snapshot(&app).await["readModel"]["headPosition"].clone();
        assert_ne!(moved, head, "{mutation} appended no event");
    }
}

async fn renaming_a_user_changes_only_its_name(app: TestApp) {
    let (acme, ada) = acme_with_ada(&app).await;
    let before = read_user(&app, &ada).await;
    let after = change_user(
        &app,
        "renameUser",
        &ada,
        1,
        json!({ "name": "Augusta Ada King" }),
    )
    .await;
    assert_eq!(
        after,
        changed(&before, &after, json!({ "name": "Augusta Ada King" }))
    );
    assert_eq!(
        listed_ids(&app, Some(&acme), json!({ "search": "augusta" })).await,
        [ada]
    );
    assert!(
        listed_ids(&app, Some(&acme), json!({ "search": "lovelace" }))
            .await
            .is_empty()
    );
}

async fn changing_a_users_email_changes_only_its_email(app: TestApp) {
    let (_, ada) = acme_with_ada(&app).await;
    let before = read_user(&app, &ada).await;
    let after = change_user(
        &app,
        "changeUserEmail",
        &ada,
        1,
        json!({ "email": "ada@analytical.engine" }),
    )
    .await;
    assert_eq!(
        after,
        changed(&before, &after, json!({ "email": "ada@analytical.engine" }))
    );
    assert_eq!(
        id_by_email(&app, "ada@analytical.engine").await,
        ada.as_str()
    );
    assert!(id_by_email(&app, "ada@example.com").await.is_null());
}

async fn changing_a_users_role_changes_only_its_role(app: TestApp) {
    let (acme, ada) = acme_with_ada(&app).await;
    let before = read_user(&app, &ada).await;
    let after = change_user(&app, "changeUserRole", &ada, 1, json!({ "role": "OWNER" })).await;
    assert_eq!(after, changed(&before, &after, json!({ "role": "OWNER" })));
    assert_eq!(
        listed_ids(&app, Some(&acme), json!({ "role": "OWNER" })).await,
        [ada]
    );
    assert!(
        listed_ids(&app, Some(&acme), json!({ "role": "MEMBER" }))
            .await
            .is_empty()
    );
}

async fn suspending_and_reactivating_a_user_changes_only_its_status(app: TestApp) {
    let (acme, ada) = acme_with_ada(&app).await;
    let active = read_user(&app, &ada).await;
    let suspended = change_user(
        &app,
        "suspendUser",
        &ada,
        1,
        json!({ "reason": "on leave" }),
    )
    .await;
    assert_eq!(
        suspended,
        changed(&active, &suspended, json!({ "status": "SUSPENDED" }))
    );
    assert_eq!(
        listed_ids(&app, Some(&acme), json!({ "status": "SUSPENDED" })).await,
        [ada.as_str()]
    );

    let reactivated = change_user(&app, "reactivateUser", &ada, 2, json!({})).await;
    assert_eq!(
        reactivated,
        changed(&suspended, &reactivated, json!({ "status": "ACTIVE" }))
    );
    assert_eq!(
        listed_ids(&app, Some(&acme), json!({ "status": "ACTIVE" })).await,
        [ada.as_str()]
    );
    let again = change_user(&app, "suspendUser", &ada, 3, json!({})).await;
    assert_eq!(again["status"], "SUSPENDED", "a reason is optional");
}

async fn deleting_a_user_removes_it_from_the_read_side(app: TestApp) {
    let (acme, ada) = acme_with_ada(&app).await;
    let grace = add_user(&app, &acme, "grace@example.com", "Grace Hopper").await;
    let payload = accepted(&app, "deleteUser", input(&ada, 1, json!({}))).await;
    assert_eq!(
        (&payload["userId"], &payload["version"]),
        (&json!(ada), &json!(2))
    );
    assert!(read_user(&app, &ada).await.is_null());
    assert!(id_by_email(&app, "ada@example.com").await.is_null());
    assert_eq!(listed_ids(&app, Some(&acme), json!(null)).await, [grace]);
}

async fn member_counts_track_created_suspended_reactivated_and_deleted_users(app: TestApp) {
    let (acme, ada) = acme_with_ada(&app).await;
    let counts = |members: i64, active: i64| (json!(members), json!(active));
    assert_eq!(member_counts(&app, &acme).await, counts(1, 1));
    let grace = add_user(&app, &acme, "grace@example.com", "Grace Hopper").await;
    let linus = add_user(&app, &acme, "linus@example.com", "Linus Torvalds").await;
    let globex = add_organization(&app, "globex", "Globex").await;
    add_user(&app, &globex, "hank@example.com", "Hank Scorpio").await;
    assert_eq!(member_counts(&app, &acme).await, counts(3, 3));

    accepted(&app, "suspendUser", input(&ada, 1, json!({}))).await;
    assert_eq!(member_counts(&app, &acme).await, counts(3, 2));
    accepted(&app, "reactivateUser", input(&ada, 2, json!({}))).await;
    assert_eq!(member_counts(&app, &acme).await, counts(3, 3));
    accepted(&app, "suspendUser", input(&grace, 1, json!({}))).await;
    accepted(&app, "deleteUser", input(&grace, 2, json!({}))).await;
    assert_eq!(member_counts(&app, &acme).await, counts(2, 2));
    accepted(&app, "deleteUser", input(&linus, 1, json!({}))).await;
    assert_eq!(member_counts(&app, &acme).await, counts(1, 1));

    assert_eq!(member_counts(&app, &globex).await, counts(1, 1));
    assert_eq!(
        read_organization(&app, &acme).await["version"],
        1,
        "member changes are no commands on the organization"
    );
}

async fn a_deleted_users_email_is_free_again_and_its_id_stays_not_found(app: TestApp) {
    let (acme, ada) = acme_with_ada(&app).await;
    let grace = add_user(&app, &acme, "grace@example.com", "Grace Hopper").await;
    accepted(&app, "deleteUser", input(&ada, 1, json!({}))).await;

    let successor = add_user(&app, &acme, "ada@example.com", "Ada Byron").await;
    assert_ne!(successor, ada);
    assert_eq!(
        id_by_email(&app, "ada@example.com").await,
        successor.as_str()
    );
    accepted(&app, "deleteUser", input(&successor, 1, json!({}))).await;
    let user = change_user(
        &app,
        "changeUserEmail",
        &grace,
        1,
        json!({ "email": "ada@example.com" }),
    )
    .await;
    assert_eq!(user["email"], "ada@example.com");

    for (mutation, fields) in user_commands() {
        refused(&app, mutation, input(&ada, 2, fields), "NOT_FOUND").await;
    }
    assert!(read_user(&app, &ada).await.is_null());
}

// ---------------------------------------------------------------------------------------
// Refused commands
// ---------------------------------------------------------------------------------------

async fn empty_blank_or_over_long_names_are_refused_naming_the_name_field(app: TestApp) {
    let (acme, ada) = acme_with_ada(&app).await;
    for name in BLANK_NAMES.iter().chain(OVER_LONG_NAMES) {
        let inputs = [
            (
                "createOrganization",
                json!({ "slug": "globex", "name": name }),
            ),
            (
                "renameOrganization",
                input(&acme, 1, json!({ "name": name })),
            ),
            (
                "createUser",
                json!({ "organizationId": acme, "email": "grace@example.com", "name": name }),
            ),
            ("renameUser", input(&ada, 1, json!({ "name": name }))),
        ];
        for (mutation, input) in inputs {
            refused_input(&app, mutation, input, "name").await;
        }
    }
    assert_eq!(LONGEST_NAME.chars().count(), 200);
    let user = change_user(&app, "renameUser", &ada, 1, json!({ "name": LONGEST_NAME })).await;
    assert_eq!(user["name"], LONGEST_NAME, "200 characters is a valid name");
}

async fn malformed_or_over_long_emails_are_refused_naming_the_email_field(app: TestApp) {
    let (acme, ada) = acme_with_ada(&app).await;
    assert_eq!((LONGEST_EMAIL.len(), OVER_LONG_EMAIL.len()), (254, 255));
    assert!(INVALID_EMAILS.contains(&OVER_LONG_EMAIL));
    for email in INVALID_EMAILS {
        let create = json!({ "organizationId": acme, "email": email, "name": "Grace Hopper" });
        refused_input(&app, "createUser", create, "email").await;
        refused_input(
            &app,
            "changeUserEmail",
            input(&ada, 1, json!({ "email": email })),
            "email",
        )
        .await;
    }
    let user = change_user(
        &app,
        "changeUserEmail",
        &ada,
        1,
        json!({ "email": LONGEST_EMAIL }),
    )
    .await;
    assert_eq!(
        user["email"], LONGEST_EMAIL,
        "254 characters is a valid email"
    );
}

async fn malformed_slugs_are_refused_naming_the_slug_field(app: TestApp) {
    acme_with_ada(&app).await;
    for slug in INVALID_SLUGS {
        refused_input(
            &app,
            "createOrganization",
            json!({ "slug": slug, "name": "Globex" }),
            "slug",
        )
        .await;
    }
    for slug in VALID_SLUGS {
        let payload = accepted(
            &app,
            "createOrganization",
            json!({ "slug": slug, "name": "Globex" }),
        )
        .await;
        assert_eq!(payload["organization"]["slug"], *slug);
    }
}

async fn malformed_ids_are_refused_naming_the_field_that_holds_them(app: TestApp) {
    acme_with_ada(&app).await;
    for id in INVALID_IDS {
        for (mutation, fields) in commands_by_id() {
            refused_input(&app, mutation, input(id, 1, fields), "id").await;
        }
        let create =
            json!({ "organizationId": id, "email": "grace@example.com", "name": "Grace Hopper" });
        refused_input(&app, "createUser", create, "organizationId").await;
    }
}

async fn commands_on_unknown_ids_are_not_found(app: TestApp) {
    let (acme, ada) = acme_with_ada(&app).await;
    let unknown = Uuid::new_v4().to_string();
    for (mutation, fields) in commands_by_id() {
        refused(&app, mutation, input(&unknown, 1, fields), "NOT_FOUND").await;
    }
    // An id of the other kind of aggregate names no aggregate of this kind either.
    refused(
        &app,
        "renameOrganization",
        input(&ada, 1, json!({ "name": "Ada Inc" })),
        "NOT_FOUND",
    )
    .await;
    refused(
        &app,
        "renameUser",
        input(&acme, 1, json!({ "name": "Acme Person" })),
        "NOT_FOUND",
    )
    .await;
}

async fn creating_a_user_in_an_unknown_organization_is_not_found(app: TestApp) {
    let (_, ada) = acme_with_ada(&app).await;
    for organization_id in [Uuid::new_v4().to_string(), ada] {
        let create = json!({ "organizationId": organization_id, "email": "grace@example.com", "name": "Grace Hopper" });
        refused(&app, "createUser", create, "NOT_FOUND").await;
    }
}

async fn a_stale_or_future_expected_version_is_a_version_conflict_naming_both(app: TestApp) {
    let (acme, ada) = acme_with_ada(&app).await;
    let grace = add_user(&app, &acme, "grace@example.com", "Grace Hopper").await;
    accepted(
        &app,
        "renameOrganization",
        input(&acme, 1, json!({ "name": "Acme Corp" })),
    )
    .await;
    accepted(
        &app,
        "renameUser",
        input(&ada, 1, json!({ "name": "Ada King" })),
    )
    .await;
    accepted(&app, "suspendUser", input(&grace, 1, json!({}))).await;

    // Every aggregate is at version 2; only a suspended user (Grace) can be reactivated.
    let target = |mutation: &str| match mutation {
        "renameOrganization" => &acme,
        "reactivateUser" => &grace,
        _ => &ada,
    };
    for expected in [1, 3, 0, -1] {
        for (mutation, fields) in commands_by_id() {
            let error = refused(
                &app,
                mutation,
                input(target(mutation), expected, fields),
                "VERSION_CONFLICT",
            )
            .await;
            let versions = (
                &error["extensions"]["expectedVersion"],
                &error["extensions"]["actualVersion"],
            );
            assert_eq!(
                versions,
                (&json!(expected), &json!(2)),
                "{mutation}: {error}"
            );
        }
    }
    // The refusals left every version where it was.
    accepted(
        &app,
        "renameOrganization",
        input(&acme, 2, json!({ "name": "Acme Inc" })),
    )
    .await;
    change_user(
        &app,
        "renameUser",
        &ada,
        2,
        json!({ "name": "Ada Lovelace" }),
    )
    .await;
    change_user(&app, "reactivateUser", &grace, 2, json!({})).await;
}

async fn a_taken_email_is_already_exists_without_leaking_sql(app: TestApp) {
    let (acme, ada) = acme_with_ada(&app).await;
    let grace = add_user(&app, &acme, "grace@example.com", "Grace Hopper").await;
    let globex = add_organization(&app, "globex", "Globex").await;
    for (organization_id, email) in [
        (&acme, "ada@example.com"),
        (&acme, " ADA@Example.com "),
        (&globex, "grace@example.com"),
    ] {
        let create =
            json!({ "organizationId": organization_id, "email": email, "name": "Impostor" });
        let error = refused(&app, "createUser", create, "ALREADY_EXISTS").await;
        assert_eq!(error["extensions"]["field"], "email", "{error}");
    }
    let error = refused(
        &app,
        "changeUserEmail",
        input(&grace, 1, json!({ "email": "Ada@Example.com" })),
        "ALREADY_EXISTS",
    )
    .await;
    assert_eq!(error["extensions"]["field"], "email", "{error}");
    assert_eq!(read_user(&app, &ada).await["email"], "ada@example.com");
    change_user(
        &app,
        "changeUserEmail",
        &grace,
        1,
        json!({ "email": "grace@navy.mil" }),
    )
    .await;
}

async fn a_taken_slug_is_already_exists_without_leaking_sql(app: TestApp) {
    acme_with_ada(&app).await;
    let error = refused(
        &app,
        "createOrganization",
        json!({ "slug": "acme", "name": "Another Acme" }),
        "ALREADY_EXISTS",
    )
    .await;
    assert_eq!(error["extensions"]["field"], "slug", "{error}");
    accepted(
        &app,
        "createOrganization",
        json!({ "slug": "acme-2", "name": "Another Acme" }),
    )
    .await;
}

async fn suspending_a_suspended_user_or_reactivating_an_active_one_is_bad_user_input(app: TestApp) {
    let (acme, ada) = acme_with_ada(&app).await;
    let grace = add_user(&app, &acme, "grace@example.com", "Grace Hopper").await;
    accepted(&app, "suspendUser", input(&grace, 1, json!({}))).await;

    for (mutation, id, version) in [("reactivateUser", &ada, 1), ("suspendUser", &grace, 2)] {
        let error = refused(
            &app,
            mutation,
            input(id, version, json!({})),
            "BAD_USER_INPUT",
        )
        .await;
        let field = error["extensions"]["field"].as_str().unwrap_or_default();
        assert!(
            !field.is_empty(),
            "{mutation}: BAD_USER_INPUT without a field: {error}"
        );
    }
    assert_eq!(read_user(&app, &ada).await["status"], "ACTIVE");
    assert_eq!(read_user(&app, &grace).await["status"], "SUSPENDED");
}

pub(crate) fn trials() -> Vec<Trial> {
    on_both_databases!(
        creating_an_organization_starts_it_at_version_one_with_no_members,
        renaming_an_organization_grows_its_version_and_renames_it_on_its_members,
        a_created_user_is_active_at_version_one_with_the_given_role_or_member,
        names_are_trimmed_and_emails_trimmed_and_lower_cased,
        every_accepted_user_command_grows_the_version_by_exactly_one,
        renaming_a_user_changes_only_its_name,
        changing_a_users_email_changes_only_its_email,
        changing_a_users_role_changes_only_its_role,
        suspending_and_reactivating_a_user_changes_only_its_status,
        deleting_a_user_removes_it_from_the_read_side,
        member_counts_track_created_suspended_reactivated_and_deleted_users,
        a_deleted_users_email_is_free_again_and_its_id_stays_not_found,
        empty_blank_or_over_long_names_are_refused_naming_the_name_field,
        malformed_or_over_long_emails_are_refused_naming_the_email_field,
        malformed_slugs_are_refused_naming_the_slug_field,
        malformed_ids_are_refused_naming_the_field_that_holds_them,
        commands_on_unknown_ids_are_not_found,
        creating_a_user_in_an_unknown_organization_is_not_found,
        a_stale_or_future_expected_version_is_a_version_conflict_naming_both,
        a_taken_email_is_already_exists_without_leaking_sql,
        a_taken_slug_is_already_exists_without_leaking_sql,
        suspending_a_suspended_user_or_reactivating_an_active_one_is_bad_user_input,
    )
}
