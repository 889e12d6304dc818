//! Request bodies no GraphQL client should send: each string argument of every mutation
//! carrying bytes that are not UTF-8 or a lone UTF-16 surrogate is a 400 `BAD_USER_INPUT`,
//! and a name of almost a mebibyte is `BAD_USER_INPUT` naming it; nothing is written.

use libtest_mimic::Trial;
use serde_json::{Value, json};

use crate::support::{
    TestApp, assert_no_internal_detail, error_code, input, mutation_document, on_both_databases,
    snapshot,
};

/// Stands in the JSON for the bytes put in its place.
const MARK: &str = "@@hostile@@";

/// Every mutation with a string argument, that argument holding [`MARK`].
fn string_arguments(acme: &str, ada: &str) -> Vec<(&'static str, Value)> {
    vec![
        (
            "createOrganization",
            json!({ "slug": "globex", "name": MARK }),
        ),
        (
            "createOrganization",
            json!({ "slug": MARK, "name": "Globex" }),
        ),
        (
            "renameOrganization",
            input(acme, 1, json!({ "name": MARK })),
        ),
        (
            "createUser",
            json!({ "organizationId": acme, "email": "grace@example.com", "name": MARK }),
        ),
        (
            "createUser",
            json!({ "organizationId": acme, "email": MARK, "name": "Grace" }),
        ),
        ("renameUser", input(ada, 1, json!({ "name": MARK }))),
        ("changeUserEmail", input(ada, 1, json!({ "email": MARK }))),
        ("suspendUser", input(ada, 1, json!({ "reason": MARK }))),
        ("renameUser", input(MARK, 1, json!({ "name": "Ada" }))),
    ]
}

/// POSTs `mutation` with `input` as an admin, [`MARK`] replaced by `bytes`.
async fn post_with_bytes(
    app: &TestApp,
    mutation: &str,
    input: &Value,
    bytes: &[u8],
) -> (u16, Value) {
    let body = json!({ "query": mutation_document(mutation), "variables": { "input": input } });
    let text = body.to_string();
    let (before, after) = text.split_once(MARK).expect("the mark is in the body");
    let raw = [before.as_bytes(), bytes, after.as_bytes()].concat();
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&app.admin)
        .header("content-type", "application/json")
        .body(raw)
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

async fn bytes_that_are_not_text_are_a_400_and_write_nothing(app: TestApp) {
    let (acme, ada) = app.acme_with_ada().await;
    let before = snapshot(&app).await;
    let hostile: [&[u8]; 4] = [
        b"Ada \xff Lovelace",
        b"\xc3\x28",
        b"\xed\xa0\x80",
        br"Ada \ud800 Lovelace",
    ];
    for (mutation, input) in string_arguments(&acme, &ada) {
        for bytes in hostile {
            let (status, body) = post_with_bytes(&app, mutation, &input, bytes).await;
            let shown = String::from_utf8_lossy(bytes);
            assert_eq!(status, 400, "{mutation} with {shown:?}: {body}");
            assert_eq!(
                error_code(&body),
                "BAD_USER_INPUT",
                "{mutation} with {shown:?}: {body}"
            );
            assert_no_internal_detail(&body["errors"][0]);
        }
    }
    assert_eq!(
        snapshot(&app).await,
        before,
        "a refused body wrote something"
    );
}

async fn a_name_of_almost_a_mebibyte_is_bad_user_input_naming_it(app: TestApp) {
    let (_, ada) = app.acme_with_ada().await;
    let before = snapshot(&app).await;
    let name = "x".repeat(1000 * 1000);
    let document = mutation_document("renameUser");
    let variables = json!({ "input": input(&ada, 1, json!({ "name": name })) });
    let body = app.gql(&document, variables).await;
    assert_eq!(
        error_code(&body),
        "BAD_USER_INPUT",
        "{}",
        &body.to_string()[..300]
    );
    assert_eq!(body["errors"][0]["extensions"]["field"], "name");
    assert_eq!(
        snapshot(&app).await,
        before,
        "a refused rename wrote something"
    );
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        bytes_that_are_not_text_are_a_400_and_write_nothing,
        a_name_of_almost_a_mebibyte_is_bad_user_input_naming_it,
    )
}
