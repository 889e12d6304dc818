//! `user(id)` and `users`: one user by id, and the list scoped to an organization, filtered
//! by status and role, and searched by name (and by email for admins).

use libtest_mimic::Trial;
use serde_json::{Value, json};

use super::directory::{Member, directory, sorted_names_of};
use super::pages::{
    List, connection, fetch, fetch_members, ids, refused_field, sorted_names, total_count,
};
use crate::support::{TestApp, assert_no_errors, on_both_databases};

const USER_BY_ID: &str = "query($id: ID!) { user(id: $id) {
    id email name role status version organization { id slug name } } }";

async fn a_user_reads_back_by_id_and_an_unknown_id_reads_as_null(app: TestApp) {
    let (organization_id, created) = app.organization_with_user().await;

    let body = app
        .gql(USER_BY_ID, json!({ "id": created["userId"] }))
        .await;
    assert_no_errors(&body);
    let user = &body["data"]["user"];
    assert_eq!(user["id"], created["userId"]);
    assert_eq!(user["email"], created["user"]["email"]);
    assert_eq!(user["name"], created["user"]["name"]);
    assert_eq!(user["role"], "MEMBER");
    assert_eq!(user["status"], "ACTIVE");
    assert_eq!(user["version"], 1);
    assert_eq!(user["organization"]["id"], organization_id.as_str());
    assert_eq!(
        user["organization"]["slug"],
        created["user"]["organization"]["slug"]
    );

    let unknown = uuid::Uuid::new_v4().to_string();
    let body = app.gql(USER_BY_ID, json!({ "id": unknown })).await;
    assert_no_errors(&body);
    assert_eq!(body["data"]["user"], Value::Null, "{body}");
}

async fn a_malformed_user_id_is_bad_user_input_naming_the_argument(app: TestApp) {
    let body = app.gql(USER_BY_ID, json!({ "id": "not-a-user-id" })).await;
    assert_eq!(refused_field(&body), "id");
}

async fn users_are_scoped_to_the_organization_asked_for(app: TestApp) {
    let (acme, globex, members) = directory(&app).await;

    for organization_id in [&acme, &globex] {
        let body = fetch_members(&app, organization_id).await;
        let page = connection(&body, List::Users);
        let expected = sorted_names_of(
            members
                .iter()
                .filter(|member| &member.organization_id == organization_id),
        );
        assert_eq!(sorted_names(page), expected);
        assert_eq!(total_count(page), expected.len());
        for node in page["nodes"].as_array().expect("nodes") {
            assert_eq!(
                node["organization"]["id"],
                organization_id.as_str(),
                "{node}"
            );
        }
    }

    let body = fetch(&app, None, List::Users, &json!({})).await;
    let everyone = connection(&body, List::Users);
    assert_eq!(
        sorted_names(everyone),
        sorted_names_of(&members),
        "no organizationId lists every user"
    );

    let nobody = uuid::Uuid::new_v4().to_string();
    let body = fetch_members(&app, &nobody).await;
    let page = connection(&body, List::Users);
    assert_eq!(total_count(page), 0);
    assert_eq!(ids(page), Vec::<String>::new());

    let body = fetch(
        &app,
        None,
        List::Users,
        &json!({ "organizationId": "not-an-id" }),
    )
    .await;
    assert_eq!(refused_field(&body), "organizationId");
}

async fn users_filter_by_status_and_by_role(app: TestApp) {
    let (acme, _, members) = directory(&app).await;
    let in_acme: Vec<&Member> = members
        .iter()
        .filter(|member| member.organization_id == acme)
        .collect();

    let mut filters: Vec<Value> = Vec::new();
    for status in ["ACTIVE", "SUSPENDED"] {
        filters.push(json!({ "status": status }));
    }
    for role in ["OWNER", "ADMIN", "MEMBER", "GUEST"] {
        filters.push(json!({ "role": role }));
    }
    filters.push(json!({ "status": "SUSPENDED", "role": "GUEST" }));
    filters.push(json!({ "status": "ACTIVE", "role": "MEMBER" }));

    for filter in filters {
        let body = fetch(
            &app,
            None,
            List::Users,
            &json!({ "organizationId": acme, "filter": filter }),
        )
        .await;
        let page = connection(&body, List::Users);
        let expected = sorted_names_of(in_acme.iter().copied().filter(|member| {
            filter
                .get("status")
                .is_none_or(|status| status == member.status)
                && filter.get("role").is_none_or(|role| role == member.role)
        }));
        assert!(
            !expected.is_empty(),
            "every filter here matches someone: {filter}"
        );
        assert_eq!(sorted_names(page), expected, "filter {filter}");
        assert_eq!(total_count(page), expected.len(), "filter {filter}");
        for node in page["nodes"].as_array().expect("nodes") {
            for key in ["status", "role"] {
                if let Some(wanted) = filter.get(key) {
                    assert_eq!(&node[key], wanted, "filter {filter}: {node}");
                }
            }
        }
    }
}

/// The users a viewer's search for `term` finds (names only), against the contract's rule.
async fn assert_search_finds_by_name(app: &TestApp, members: &[Member], term: &str) {
    let body = fetch(
        app,
        Some(&app.viewer),
        List::Users,
        &json!({ "filter": { "search": term } }),
    )
    .await;
    let page = connection(&body, List::Users);
    let folded = term.to_lowercase();
    let expected = sorted_names_of(
        members
            .iter()
            .filter(|member| member.name.to_lowercase().contains(&folded)),
    );
    assert!(
        !expected.is_empty(),
        "each search here matches someone: {term:?}"
    );
    assert_eq!(sorted_names(page), expected, "search {term:?}");
    assert_eq!(total_count(page), expected.len(), "search {term:?}");
}

async fn a_search_is_a_case_insensitive_substring_of_the_name(app: TestApp) {
    let (_, _, members) = directory(&app).await;
    for term in ["LOVELACE", "ada", "aDa L", "ing", "cotton", "HOP"] {
        assert_search_finds_by_name(&app, &members, term).await;
    }
}

async fn like_wildcards_in_a_search_match_only_themselves(app: TestApp) {
    let (_, _, members) = directory(&app).await;
    // Read as LIKE wildcards, "100%" would also match "1000 Cottonwood" and "e_c" "snakeXcase".
    for term in ["100%", "%", "e_c", "_"] {
        assert_search_finds_by_name(&app, &members, term).await;
    }
}

async fn a_search_or_email_no_user_could_have_is_bad_user_input(app: TestApp) {
    directory(&app).await;
    let too_long = "a".repeat(255);
    for term in ["ada\u{0}", "\u{0}", "ada\u{1b}[0m", too_long.as_str()] {
        let arguments = json!({ "filter": { "search": term } });
        let body = fetch(&app, Some(&app.admin), List::Users, &arguments).await;
        assert_eq!(refused_field(&body), "search", "search {term:?}");
    }
    for email in ["ada\u{0}@example.com", "ada@example.com\u{7}"] {
        let body = app
            .gql_as(
                Some(&app.admin),
                "query($email: String!) { userByEmail(email: $email) { id } }",
                json!({ "email": email }),
            )
            .await;
        assert_eq!(refused_field(&body), "email", "email {email:?}");
    }
    // The longest search that could match is still a search.
    let arguments = json!({ "filter": { "search": "a".repeat(254) } });
    assert_no_errors(&fetch(&app, Some(&app.admin), List::Users, &arguments).await);
}

async fn an_admin_search_also_matches_emails_and_a_viewer_search_does_not(app: TestApp) {
    let (_, _, members) = directory(&app).await;
    let term = "EXAMPLE.ORG";
    let folded = term.to_lowercase();
    assert!(
        members
            .iter()
            .all(|member| !member.name.to_lowercase().contains(&folded))
    );
    let expected = sorted_names_of(
        members
            .iter()
            .filter(|member| member.email.contains(&folded)),
    );
    assert!(!expected.is_empty());

    let arguments = json!({ "filter": { "search": term } });
    let body = fetch(&app, Some(&app.admin), List::Users, &arguments).await;
    assert_eq!(
        sorted_names(connection(&body, List::Users)),
        expected,
        "an admin's search reads emails"
    );
    let body = fetch(&app, Some(&app.viewer), List::Users, &arguments).await;
    assert_eq!(
        total_count(connection(&body, List::Users)),
        0,
        "a viewer's search reads names only"
    );
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        a_user_reads_back_by_id_and_an_unknown_id_reads_as_null,
        a_malformed_user_id_is_bad_user_input_naming_the_argument,
        users_are_scoped_to_the_organization_asked_for,
        users_filter_by_status_and_by_role,
        a_search_is_a_case_insensitive_substring_of_the_name,
        like_wildcards_in_a_search_match_only_themselves,
        an_admin_search_also_matches_emails_and_a_viewer_search_does_not,
        a_search_or_email_no_user_could_have_is_bad_user_input,
    )
}
