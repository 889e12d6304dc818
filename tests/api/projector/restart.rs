//! Restarts: the read side and the projector's checkpoint outlive the process. A new server
//! on the same database serves what the old one did, resumes projecting where the old one
//! stopped (never applying an event twice), and catches up with commands committed while no
//! server ran.

use libtest_mimic::Trial;
use rosterql::command::{
    CommandContext, CreateUser, RenameOrganization, RenameUser, SuspendUser, Target,
};
use rosterql::domain::MemberRole;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    ORGANIZATION_FIELDS, TestApp, TestDatabase, USER_FIELDS, WsClient, assert_no_errors,
    on_both_databases, test_config, text, user_changed,
};

/// Everything a client can read: organizations, users and the read model's position.
async fn read_side(app: &TestApp) -> Value {
    app.settle().await;
    let query = format!(
        "{{ organizations(first: 100) {{ totalCount nodes {{ {ORGANIZATION_FIELDS} }} }}
            users(first: 100, orderBy: CREATED_AT_ASC) {{ totalCount nodes {{ {USER_FIELDS} }} }}
            readModel {{ position headPosition lagEvents }} }}"
    );
    let body = app.gql(&query, json!({})).await;
    assert_no_errors(&body);
    let status = &body["data"]["readModel"];
    assert_eq!(status["position"], status["headPosition"], "{body}");
    assert_eq!(status["lagEvents"], 0, "{body}");
    body["data"].clone()
}

fn organization_row<'a>(read_side: &'a Value, id: &str) -> &'a Value {
    read_side["organizations"]["nodes"]
        .as_array()
        .and_then(|nodes| nodes.iter().find(|node| node["id"] == id))
        .unwrap_or_else(|| panic!("no organization {id} in {read_side}"))
}

fn user_row<'a>(read_side: &'a Value, id: &str) -> &'a Value {
    read_side["users"]["nodes"]
        .as_array()
        .and_then(|nodes| nodes.iter().find(|node| node["id"] == id))
        .unwrap_or_else(|| panic!("no user {id} in {read_side}"))
}

/// Checks an organization's member counts against the users listed in `read_side`.
fn assert_member_counts(read_side: &Value, organization_id: &str, members: usize, active: usize) {
    let organization = organization_row(read_side, organization_id);
    assert_eq!(organization["memberCount"], members, "{organization}");
    assert_eq!(organization["activeMemberCount"], active, "{organization}");
    let listed = read_side["users"]["nodes"].as_array().expect("users");
    let of_organization: Vec<_> = listed
        .iter()
        .filter(|user| user["organization"]["id"] == organization_id)
        .collect();
    assert_eq!(
        of_organization.len(),
        members,
        "listed members of {organization_id}"
    );
    let listed_active = of_organization
        .iter()
        .filter(|user| user["status"] == "ACTIVE")
        .count();
    assert_eq!(
        listed_active, active,
        "listed active members of {organization_id}"
    );
}

/// Stops `app` and starts a new server on its database; the database lives as long as the
/// returned handle.
async fn restart(app: TestApp) -> (TestApp, TestDatabase) {
    let database = app.stop().await.expect("a spawned app owns its database");
    let app = TestApp::start(&test_config(&database)).await;
    (app, database)
}

async fn a_restarted_server_serves_the_same_read_side_and_projects_new_commands(app: TestApp) {
    let organization_id = text(&app.create_organization("acme", "Acme").await["organizationId"]);
    let mut users = Vec::new();
    for name in ["Ada", "Grace", "Linus"] {
        let email = format!("{}@example.com", name.to_lowercase());
        users.push(text(
            &app.create_user(&organization_id, &email, name).await["userId"],
        ));
    }
    let (suspended, deleted) = (&users[1], &users[2]);
    app.mutate(
        "suspendUser",
        json!({ "id": suspended, "expectedVersion": 1 }),
        "version",
    )
    .await;
    app.mutate(
        "deleteUser",
        json!({ "id": deleted, "expectedVersion": 1 }),
        "version",
    )
    .await;
    let rename = json!({ "id": organization_id, "expectedVersion": 1, "name": "Acme Inc" });
    app.mutate("renameOrganization", rename, "version").await;
    let live = users.len() - 1;
    let before = read_side(&app).await;
    assert_member_counts(&before, &organization_id, live, live - 1);

    let (app, _database) = restart(app).await;

    // Nothing lost, nothing applied twice: the same rows, counts and position.
    let after = read_side(&app).await;
    assert_eq!(after, before, "the read side changed across a restart");

    // New commands are projected on top.
    let joined = app
        .create_user(&organization_id, "katherine@example.com", "Katherine")
        .await;
    assert_eq!(
        joined["user"]["organization"]["name"], "Acme Inc",
        "{joined}"
    );
    let renamed = json!({ "id": users[0], "expectedVersion": 1, "name": "Ada Lovelace" });
    assert_eq!(
        app.mutate("renameUser", renamed, "version").await["version"],
        2
    );
    let now = read_side(&app).await;
    assert_ne!(
        now["readModel"]["position"], before["readModel"]["position"],
        "the position did not move"
    );
    assert_member_counts(&now, &organization_id, live + 1, live);
    assert_eq!(user_row(&now, &users[0])["name"], "Ada Lovelace");
    assert_eq!(user_row(&now, &text(&joined["userId"]))["version"], 1);
}

async fn commands_committed_while_no_server_runs_are_projected_when_one_starts(app: TestApp) {
    let organization_id = text(&app.create_organization("acme", "Acme").await["organizationId"]);
    let ada = text(
        &app.create_user(&organization_id, "ada@example.com", "Ada")
            .await["userId"],
    );
    let before = read_side(&app).await;
    let database = app.stop().await.expect("a spawned app owns its database");

    let commands = database.command_service().await;
    let context = CommandContext::default();
    let organization = Uuid::parse_str(&organization_id).expect("a uuid");
    let mut offline_users = Vec::new();
    for name in ["Grace", "Linus"] {
        let input = CreateUser {
            organization_id: organization,
            email: format!("{}@example.com", name.to_lowercase()),
            name: name.to_owned(),
            role: MemberRole::Member,
        };
        offline_users.push(
            commands
                .execute(&context, input)
                .await
                .expect("an offline signup"),
        );
    }
    let grace = offline_users[0];
    let suspend = SuspendUser {
        target: Target {
            id: grace.aggregate_id,
            expected_version: grace.version,
        },
        reason: None,
    };
    commands
        .execute(&context, suspend)
        .await
        .expect("an offline suspension");
    let ada_id = Uuid::parse_str(&ada).expect("a uuid");
    let rename = RenameUser {
        target: Target {
            id: ada_id,
            expected_version: 1,
        },
        name: "Ada Lovelace".to_owned(),
    };
    commands
        .execute(&context, rename)
        .await
        .expect("an offline rename");
    let rename = RenameOrganization {
        target: Target {
            id: organization,
            expected_version: 1,
        },
        name: "Acme Inc".to_owned(),
    };
    commands
        .execute(&context, rename)
        .await
        .expect("an offline organization rename");

    let app = TestApp::start(&test_config(&database)).await;
    let after = read_side(&app).await;
    assert_ne!(
        after["readModel"]["position"], before["readModel"]["position"],
        "nothing was projected"
    );
    let members = 1 + offline_users.len();
    assert_member_counts(&after, &organization_id, members, members - 1);
    assert_eq!(
        organization_row(&after, &organization_id)["name"],
        "Acme Inc"
    );
    assert_eq!(organization_row(&after, &organization_id)["version"], 2);
    let ada = user_row(&after, &ada);
    assert_eq!(
        (&ada["name"], &ada["version"]),
        (&json!("Ada Lovelace"), &json!(2)),
        "{ada}"
    );
    for outcome in &offline_users {
        let user = user_row(&after, &outcome.aggregate_id.to_string());
        assert_eq!(
            user["organization"]["name"], "Acme Inc",
            "the organization's new name reaches its users: {user}"
        );
    }
    assert_eq!(
        user_row(&after, &grace.aggregate_id.to_string())["status"],
        "SUSPENDED"
    );
    // Offline commits go through the same log: the server's own commands follow them.
    let rename = json!({ "id": organization_id, "expectedVersion": 2, "name": "Acme Industries" });
    app.mutate("renameOrganization", rename, "version").await;
    let now = read_side(&app).await;
    assert_eq!(
        organization_row(&now, &organization_id)["name"],
        "Acme Industries"
    );
    assert_member_counts(&now, &organization_id, members, members - 1);
}

/// A listener on `organization_id` that resumes after `after`.
async fn listen(app: &TestApp, organization_id: &str, after: &str) -> WsClient {
    let query = user_changed("event userId position user { name }");
    let variables = json!({ "organizationId": organization_id, "after": after });
    WsClient::subscribed(app, Some(&app.admin), &query, variables).await
}

/// A listener saw the user's creation, then missed a rename before the restart and one made
/// while no server ran; it reconnects to the new server with its last position.
async fn a_listener_reconnecting_to_a_restarted_server_gets_every_change_it_missed_once(
    app: TestApp,
) {
    let organization_id = text(&app.create_organization("acme", "Acme").await["organizationId"]);
    let start = read_side(&app).await["readModel"]["position"].clone();
    let mut listener = listen(&app, &organization_id, &text(&start)).await;
    let ada = text(
        &app.create_user(&organization_id, "ada@example.com", "Ada")
            .await["userId"],
    );
    let seen = listener.next_change("userChanged").await;
    assert_eq!(
        (&seen["event"], &seen["userId"]),
        (&json!("UserCreated"), &json!(ada)),
        "{seen}"
    );
    drop(listener);

    let rename = json!({ "id": ada, "expectedVersion": 1, "name": "Ada K" });
    app.mutate("renameUser", rename, "version").await;
    app.settle().await;
    let database = app.stop().await.expect("a spawned app owns its database");
    let commands = database.command_service().await;
    let rename = RenameUser {
        target: Target {
            id: Uuid::parse_str(&ada).expect("a uuid"),
            expected_version: 2,
        },
        name: "Ada L".to_owned(),
    };
    commands
        .execute(&CommandContext::default(), rename)
        .await
        .expect("an offline rename");

    let app = TestApp::start(&test_config(&database)).await;
    let mut listener = listen(&app, &organization_id, &text(&seen["position"])).await;
    // A live change right away: the missed ones must come before it.
    let grace = text(
        &app.create_user(&organization_id, "grace@example.com", "Grace")
            .await["userId"],
    );
    let mut positions = vec![text(&seen["position"])];
    for _ in 0..2 {
        let missed = listener.next_change("userChanged").await;
        assert_eq!(
            (&missed["event"], &missed["userId"]),
            (&json!("UserRenamed"), &json!(ada)),
            "the listener missed the renames after {}: {missed}",
            positions[0]
        );
        positions.push(text(&missed["position"]));
    }
    let live = listener.next_change("userChanged").await;
    assert_eq!(
        (&live["event"], &live["userId"]),
        (&json!("UserCreated"), &json!(grace)),
        "nothing repeats: {live}"
    );
    positions.push(text(&live["position"]));
    let distinct: std::collections::HashSet<_> = positions.iter().collect();
    assert_eq!(
        distinct.len(),
        positions.len(),
        "positions repeat across the restart: {positions:?}"
    );
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        a_restarted_server_serves_the_same_read_side_and_projects_new_commands,
        commands_committed_while_no_server_runs_are_projected_when_one_starts,
        a_listener_reconnecting_to_a_restarted_server_gets_every_change_it_missed_once,
    )
}
