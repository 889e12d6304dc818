//! Accepted organization commands: what creating and renaming an organization changes, on
//! it and on its members' rows, and how member commands move its counts.

use libtest_mimic::Trial;
use serde_json::json;

use super::helpers::{
    accepted, add_organization, add_user, changed, id_of, member_counts, read_organization,
    read_user,
};
use crate::support::{ORGANIZATION_FIELDS, TestApp, input, on_both_databases};

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
    let (acme, ada) = app.acme_with_ada().await;
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

async fn member_counts_track_created_suspended_reactivated_and_deleted_users(app: TestApp) {
    let (acme, ada) = app.acme_with_ada().await;
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

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        creating_an_organization_starts_it_at_version_one_with_no_members,
        renaming_an_organization_grows_its_version_and_renames_it_on_its_members,
        member_counts_track_created_suspended_reactivated_and_deleted_users,
    )
}
