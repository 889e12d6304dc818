//! `organization`: one organization by id or by slug, never both.

use libtest_mimic::Trial;
use serde_json::{Value, json};

use super::directory::{Member, directory, new_organization};
use super::pages::refused_field;
use crate::support::{ORGANIZATION_FIELDS, TestApp, assert_no_errors, on_both_databases};

async fn organization_lookup(app: &TestApp, arguments: Value) -> Value {
    let query = format!(
        "query($id: ID, $slug: String) {{ organization(id: $id, slug: $slug) {{ {ORGANIZATION_FIELDS} }} }}"
    );
    app.gql_as(None, &query, arguments).await
}

async fn an_organization_reads_back_by_id_and_by_slug(app: TestApp) {
    let (acme, _, members) = directory(&app).await;

    let by_id = organization_lookup(&app, json!({ "id": acme })).await;
    assert_no_errors(&by_id);
    let organization = &by_id["data"]["organization"];
    assert_eq!(organization["id"], acme.as_str());
    assert_eq!(organization["slug"], "acme");
    assert_eq!(organization["name"], "Acme");
    assert_eq!(organization["version"], 1);
    let in_acme: Vec<&Member> = members
        .iter()
        .filter(|member| member.organization_id == acme)
        .collect();
    assert_eq!(organization["memberCount"], in_acme.len());
    let active = in_acme
        .iter()
        .filter(|member| member.status == "ACTIVE")
        .count();
    assert_eq!(organization["activeMemberCount"], active);

    let by_slug = organization_lookup(&app, json!({ "slug": "acme" })).await;
    assert_no_errors(&by_slug);
    assert_eq!(
        by_slug["data"]["organization"], *organization,
        "by slug reads the same organization"
    );

    for unknown in [
        json!({ "slug": "no-such-org" }),
        json!({ "id": uuid::Uuid::new_v4().to_string() }),
    ] {
        let body = organization_lookup(&app, unknown.clone()).await;
        assert_no_errors(&body);
        assert_eq!(body["data"]["organization"], Value::Null, "{unknown}");
    }
}

async fn an_organization_lookup_takes_exactly_one_of_id_and_slug(app: TestApp) {
    let acme = new_organization(&app, "acme", "Acme").await;
    for arguments in [json!({ "id": acme, "slug": "acme" }), json!({})] {
        let body = organization_lookup(&app, arguments.clone()).await;
        let field = refused_field(&body);
        assert!(
            field == "id" || field == "slug",
            "{arguments}: field {field}"
        );
    }
    let body = organization_lookup(&app, json!({ "id": "not-an-id" })).await;
    assert_eq!(refused_field(&body), "id");
}

async fn a_slug_with_a_control_character_is_bad_user_input(app: TestApp) {
    new_organization(&app, "acme", "Acme").await;
    for slug in ["acme\u{0}", "\u{0}", "ac\u{10}me"] {
        let body = organization_lookup(&app, json!({ "slug": slug })).await;
        assert_eq!(refused_field(&body), "slug", "slug {slug:?}");
    }
    // A slug no organization has is simply not found.
    let body = organization_lookup(&app, json!({ "slug": "Not A Slug!" })).await;
    assert_no_errors(&body);
    assert!(body["data"]["organization"].is_null(), "{body}");
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        a_slug_with_a_control_character_is_bad_user_input,
        an_organization_reads_back_by_id_and_by_slug,
        an_organization_lookup_takes_exactly_one_of_id_and_slug,
    )
}
