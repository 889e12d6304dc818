//! Mutations are admin-only: unauthenticated for anonymous callers, forbidden for viewers,
//! and a refused one writes nothing.

use libtest_mimic::Trial;
use serde_json::json;

use crate::support::{
    TestApp, assert_no_errors, assert_no_internal_detail, error_code, input, mutation_document,
    on_both_databases, snapshot,
};

async fn every_mutation_is_unauthenticated_for_anonymous_forbidden_for_viewers_and_ok_for_admins(
    app: TestApp,
) {
    let (acme, ada) = app.acme_with_ada().await;
    // In this order, each step is a valid command for an admin.
    let steps = [
        (
            "createOrganization",
            json!({ "slug": "globex", "name": "Globex" }),
        ),
        (
            "renameOrganization",
            input(&acme, 1, json!({ "name": "Acme Inc" })),
        ),
        (
            "createUser",
            json!({ "organizationId": acme, "email": "grace@example.com", "name": "Grace Hopper" }),
        ),
        ("renameUser", input(&ada, 1, json!({ "name": "Ada King" }))),
        (
            "changeUserEmail",
            input(&ada, 2, json!({ "email": "ada@king.example" })),
        ),
        ("changeUserRole", input(&ada, 3, json!({ "role": "OWNER" }))),
        ("suspendUser", input(&ada, 4, json!({}))),
        ("reactivateUser", input(&ada, 5, json!({}))),
        ("deleteUser", input(&ada, 6, json!({}))),
    ];
    let callers = [
        ("anonymous", None, "UNAUTHENTICATED"),
        ("a viewer", Some(app.viewer.as_str()), "FORBIDDEN"),
    ];
    for (mutation, input) in steps {
        let document = mutation_document(mutation);
        let variables = json!({ "input": input });
        let before = snapshot(&app).await;
        for (caller, token, code) in callers {
            let body = app.gql_as(token, &document, variables.clone()).await;
            assert_eq!(error_code(&body), code, "{mutation} by {caller}: {body}");
            assert!(
                body["data"][mutation].is_null(),
                "{mutation} by {caller}: {body}"
            );
            assert_no_internal_detail(&body["errors"][0]);
        }
        assert_eq!(
            snapshot(&app).await,
            before,
            "a refused {mutation} wrote something"
        );

        let body = app.gql(&document, variables).await;
        assert_no_errors(&body);
        assert!(body["data"][mutation]["version"].is_number(), "{body}");
    }
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        every_mutation_is_unauthenticated_for_anonymous_forbidden_for_viewers_and_ok_for_admins,
    )
}
