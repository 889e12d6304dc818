//! Every way a command is refused: its code (and the field or versions it names), nothing
//! half-written (no new event, the same read side) and no internal detail in its message.

use libtest_mimic::Trial;
use serde_json::json;
use uuid::Uuid;

use super::helpers::{
    accepted, add_organization, add_user, change_user, commands_by_id, name_inputs, read_user,
    refused, refused_input,
};
use crate::support::{TestApp, error_code, input, on_both_databases};
use crate::values::{
    BLANK_NAMES, INVALID_EMAILS, INVALID_IDS, INVALID_SLUGS, LONGEST_NAME, OVER_LONG_NAMES,
    VALID_SLUGS, email_of_length,
};

async fn empty_blank_or_over_long_names_are_refused_naming_the_name_field(app: TestApp) {
    let (acme, ada) = app.acme_with_ada().await;
    assert!(
        OVER_LONG_NAMES
            .iter()
            .all(|name| name.chars().count() == 201)
    );
    for name in BLANK_NAMES.iter().chain(OVER_LONG_NAMES) {
        for (mutation, input) in name_inputs(&acme, &ada, name) {
            refused_input(&app, mutation, input, "name").await;
        }
    }
    assert_eq!(LONGEST_NAME.chars().count(), 200);
    let user = change_user(&app, "renameUser", &ada, 1, json!({ "name": LONGEST_NAME })).await;
    assert_eq!(user["name"], LONGEST_NAME, "200 characters is a valid name");
}

async fn malformed_or_over_long_emails_are_refused_naming_the_email_field(app: TestApp) {
    let (acme, ada) = app.acme_with_ada().await;
    let (longest, too_long) = (email_of_length(254), email_of_length(255));
    assert_eq!((longest.len(), too_long.len()), (254, 255));
    for email in INVALID_EMAILS.iter().copied().chain([too_long.as_str()]) {
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
        json!({ "email": longest }),
    )
    .await;
    assert_eq!(
        user["email"],
        longest.as_str(),
        "254 characters is a valid email"
    );
}

async fn malformed_slugs_are_refused_naming_the_slug_field(app: TestApp) {
    app.acme_with_ada().await;
    for slug in INVALID_SLUGS {
        refused_input(
            &app,
            "createOrganization",
            json!({ "slug": slug, "name": "Globex" }),
            "slug",
        )
        .await;
    }
    // `acme` is valid too: the setup created it.
    for slug in VALID_SLUGS.iter().filter(|slug| **slug != "acme") {
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
    app.acme_with_ada().await;
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
    let (acme, ada) = app.acme_with_ada().await;
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
    let (_, ada) = app.acme_with_ada().await;
    for organization_id in [Uuid::new_v4().to_string(), ada] {
        let create = json!({ "organizationId": organization_id, "email": "grace@example.com", "name": "Grace Hopper" });
        refused(&app, "createUser", create, "NOT_FOUND").await;
    }
}

async fn a_stale_or_future_expected_version_is_a_version_conflict_naming_both(app: TestApp) {
    let (acme, ada) = app.acme_with_ada().await;
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

async fn an_expected_version_outside_32_bits_is_bad_user_input_naming_the_input(app: TestApp) {
    let (acme, ada) = app.acme_with_ada().await;
    let target = |mutation: &str| {
        if mutation == "renameOrganization" {
            &acme
        } else {
            &ada
        }
    };
    for expected in [i64::from(i32::MAX) + 1, 99_999_999_999, -57_860_528_430] {
        for (mutation, fields) in commands_by_id() {
            let input = input(target(mutation), expected, fields);
            refused_input(&app, mutation, input, "input").await;
        }
    }
    // Written into the document rather than sent as a variable.
    let body = app
        .gql(
            &format!(
                "mutation {{ renameUser(input: {{id: \"{ada}\", expectedVersion: 99999999999, \
                 name: \"Ada King\"}}) {{ version }} }}"
            ),
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "input", "{body}");
    // Nothing was renamed.
    change_user(&app, "renameUser", &ada, 1, json!({ "name": "Ada King" })).await;
}

async fn a_taken_email_is_already_exists_without_leaking_sql(app: TestApp) {
    let (acme, ada) = app.acme_with_ada().await;
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
    app.acme_with_ada().await;
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
    let (acme, ada) = app.acme_with_ada().await;
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

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        empty_blank_or_over_long_names_are_refused_naming_the_name_field,
        malformed_or_over_long_emails_are_refused_naming_the_email_field,
        malformed_slugs_are_refused_naming_the_slug_field,
        malformed_ids_are_refused_naming_the_field_that_holds_them,
        commands_on_unknown_ids_are_not_found,
        creating_a_user_in_an_unknown_organization_is_not_found,
        a_stale_or_future_expected_version_is_a_version_conflict_naming_both,
        an_expected_version_outside_32_bits_is_bad_user_input_naming_the_input,
        a_taken_email_is_already_exists_without_leaking_sql,
        a_taken_slug_is_already_exists_without_leaking_sql,
        suspending_a_suspended_user_or_reactivating_an_active_one_is_bad_user_input,
    )
}
