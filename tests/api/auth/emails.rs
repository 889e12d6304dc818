//! Emails are admin-only: an admin reads and searches them; anyone else gets a null email
//! with a FORBIDDEN error at its path, and no search on emails.

use libtest_mimic::Trial;
use serde_json::{Value, json};

use super::helpers::forbidden_paths;
use crate::support::{TestApp, assert_no_errors, error_code, on_both_databases};

/// The names `users(filter: { search })` lists for `token` (None: anonymous).
async fn names_found_by(app: &TestApp, token: Option<&str>, search: &str) -> Vec<Value> {
    let body = app
        .gql_as(
            token,
            "query($search: String) { users(filter: { search: $search }) { nodes { name } } }",
            json!({ "search": search }),
        )
        .await;
    assert_no_errors(&body);
    let nodes = body["data"]["users"]["nodes"]
        .as_array()
        .expect("a list of users");
    nodes.iter().map(|node| node["name"].clone()).collect()
}

async fn an_admin_reads_emails(app: TestApp) {
    let (acme, ada) = app.acme_with_ada().await;
    app.create_user(&acme, "grace@example.com", "Grace Hopper")
        .await;
    app.settle().await;

    let body = app
        .gql(
            "query($id: ID!) { user(id: $id) { name email } }",
            json!({ "id": ada }),
        )
        .await;
    assert_no_errors(&body);
    assert_eq!(
        body["data"]["user"],
        json!({ "name": "Ada Lovelace", "email": "ada@example.com" })
    );
    let body = app.gql("{ users { nodes { email } } }", json!({})).await;
    assert_no_errors(&body);
    assert_eq!(
        body["data"]["users"]["nodes"],
        json!([{ "email": "ada@example.com" }, { "email": "grace@example.com" }])
    );
}

async fn viewers_and_anonymous_callers_get_a_null_email_and_a_forbidden_error_at_its_path(
    app: TestApp,
) {
    let (acme, ada) = app.acme_with_ada().await;
    app.create_user(&acme, "grace@example.com", "Grace Hopper")
        .await;
    app.settle().await;

    for token in [None, Some(app.viewer.as_str())] {
        let body = app
            .gql_as(
                token,
                "query($id: ID!) { user(id: $id) { name email } }",
                json!({ "id": ada }),
            )
            .await;
        assert_eq!(
            body["data"]["user"],
            json!({ "name": "Ada Lovelace", "email": null }),
            "{body}"
        );
        assert_eq!(forbidden_paths(&body), [json!(["user", "email"])]);

        let body = app
            .gql_as(token, "{ users { nodes { name email } } }", json!({}))
            .await;
        assert_eq!(
            body["data"]["users"]["nodes"],
            json!([{ "name": "Ada Lovelace", "email": null }, { "name": "Grace Hopper", "email": null }]),
            "{body}"
        );
        let paths = [
            json!(["users", "nodes", 0, "email"]),
            json!(["users", "nodes", 1, "email"]),
        ];
        assert_eq!(forbidden_paths(&body), paths);
    }
}

async fn user_by_email_is_unauthenticated_for_anonymous_and_forbidden_for_viewers(app: TestApp) {
    app.acme_with_ada().await;
    let query = "{ userByEmail(email: \"ada@example.com\") { name } }";
    for (token, code) in [
        (None, "UNAUTHENTICATED"),
        (Some(app.viewer.as_str()), "FORBIDDEN"),
    ] {
        let body = app.gql_as(token, query, json!({})).await;
        assert_eq!(error_code(&body), code, "{body}");
        assert!(body["data"]["userByEmail"].is_null(), "{body}");
    }
}

async fn an_admin_finds_a_user_by_email_trimmed_and_case_insensitively(app: TestApp) {
    let (_, ada) = app.acme_with_ada().await;
    let query = "query($email: String!) { userByEmail(email: $email) { id email } }";
    for email in ["ada@example.com", "  ADA@Example.COM "] {
        let body = app.gql(query, json!({ "email": email })).await;
        assert_no_errors(&body);
        assert_eq!(
            body["data"]["userByEmail"],
            json!({ "id": ada, "email": "ada@example.com" }),
            "{email:?}"
        );
    }
    let body = app
        .gql(query, json!({ "email": "grace@example.com" }))
        .await;
    assert_no_errors(&body);
    assert!(body["data"]["userByEmail"].is_null(), "{body}");
}

async fn only_admins_find_users_by_a_search_on_their_email(app: TestApp) {
    let (acme, _) = app.acme_with_ada().await;
    app.create_user(&acme, "grace@navy.mil", "Grace Hopper")
        .await;
    app.settle().await;

    let ada = [json!("Ada Lovelace")];
    assert_eq!(
        names_found_by(&app, Some(&app.admin), "example.com").await,
        ada
    );
    assert_eq!(
        names_found_by(&app, Some(&app.admin), "EXAMPLE.com").await,
        ada
    );
    for token in [None, Some(app.viewer.as_str())] {
        assert!(
            names_found_by(&app, token, "example.com").await.is_empty(),
            "{token:?} searched emails"
        );
        assert_eq!(
            names_found_by(&app, token, "HOPPER").await,
            [json!("Grace Hopper")]
        );
    }
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        an_admin_reads_emails,
        viewers_and_anonymous_callers_get_a_null_email_and_a_forbidden_error_at_its_path,
        user_by_email_is_unauthenticated_for_anonymous_and_forbidden_for_viewers,
        an_admin_finds_a_user_by_email_trimmed_and_case_insensitively,
        only_admins_find_users_by_a_search_on_their_email,
    )
}
