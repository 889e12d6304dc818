//! Accepted user commands: each grows the version by exactly one and changes only what it
//! names, on the payload and on the read side.

use libtest_mimic::Trial;
use serde_json::json;

use super::helpers::{
    accepted, add_organization, add_user, change_user, changed, id_by_email, id_of, listed_ids,
    read_user, refused, user_commands,
};
use crate::support::{TestApp, input, on_both_databases, snapshot};

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
    let (_, ada) = app.acme_with_ada().await;
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
    let (acme, ada) = app.acme_with_ada().await;
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
    let (_, ada) = app.acme_with_ada().await;
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
    let (acme, ada) = app.acme_with_ada().await;
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
    let (acme, ada) = app.acme_with_ada().await;
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
    let (acme, ada) = app.acme_with_ada().await;
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

async fn a_deleted_users_email_is_free_again_and_its_id_stays_not_found(app: TestApp) {
    let (acme, ada) = app.acme_with_ada().await;
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

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        a_created_user_is_active_at_version_one_with_the_given_role_or_member,
        names_are_trimmed_and_emails_trimmed_and_lower_cased,
        every_accepted_user_command_grows_the_version_by_exactly_one,
        renaming_a_user_changes_only_its_name,
        changing_a_users_email_changes_only_its_email,
        changing_a_users_role_changes_only_its_role,
        suspending_and_reactivating_a_user_changes_only_its_status,
        deleting_a_user_removes_it_from_the_read_side,
        a_deleted_users_email_is_free_again_and_its_id_stays_not_found,
    )
}
