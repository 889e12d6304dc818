//! Without polling to hide it: a command accepted by a follower wakes the leader on another
//! instance, and the leader's batch reaches the follower by its announcement, so the
//! follower's payload (which waits for its own read side) comes back well inside the
//! consistency bound. Each instance runs with a projector poll of a minute.

use libtest_mimic::Trial;
use serde_json::{Value, json};

use crate::support::{TestApp, TestDatabase, assert_no_errors, on_postgres, test_config};

async fn read_model(app: &TestApp) -> Value {
    let body = app
        .gql("{ readModel { instance leader } }", json!({}))
        .await;
    assert_no_errors(&body);
    body["data"]["readModel"].clone()
}

async fn a_command_on_a_follower_reaches_its_read_side_without_polling(database: TestDatabase) {
    let start = |name: &'static str| {
        let mut config = test_config(&database);
        config.instance = Some(name.to_owned());
        config.projector_poll = std::time::Duration::from_secs(60).into();
        config.leader_retry = std::time::Duration::from_millis(200).into();
        async move { TestApp::start(&config).await }
    };
    let leader = start("first").await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    while read_model(&leader).await["leader"] != "first" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the first never led"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let follower = start("second").await;
    assert_eq!(read_model(&leader).await["leader"], "first");
    assert_eq!(read_model(&follower).await["leader"], "first");

    for (app, slug) in [
        (&follower, "made-on-the-follower"),
        (&leader, "made-on-the-leader"),
    ] {
        // The payload's organization waits (up to 5 s) for this instance's read side.
        let created = app.create_organization(slug, "Acme").await;
        assert_eq!(created["organization"]["slug"], slug, "{created}");
        let user = app
            .mutate(
                "createUser",
                json!({
                    "organizationId": created["organizationId"],
                    "email": format!("ada@{slug}.example"),
                    "name": "Ada",
                }),
                "user { name organization { slug } }",
            )
            .await;
        assert_eq!(user["user"]["organization"]["slug"], slug, "{user}");
    }
    follower.stop().await;
    leader.stop().await;
}

pub(super) fn trials() -> Vec<Trial> {
    on_postgres!(a_command_on_a_follower_reaches_its_read_side_without_polling)
}
