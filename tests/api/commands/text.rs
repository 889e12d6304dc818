//! Text as hostile or merely unusual clients send it. A control character (NUL, which
//! Postgres cannot store, an ANSI escape, a line break) in a name, an email or a suspension
//! reason is `BAD_USER_INPUT` naming the field, with nothing written; emoji, combining
//! characters, right-to-left script, quotes and SQL are stored and read back exactly as
//! sent, counted in characters, not bytes. The server answers the next request either way.

use libtest_mimic::Trial;
use serde_json::json;

use super::helpers::{accepted, change_user, name_inputs, refused_input};
use crate::support::{TestApp, input, on_both_databases};
use crate::values::{NAMES_WITH_CONTROL_CHARACTERS, UNUSUAL_NAMES};

async fn control_characters_are_refused_naming_the_field(app: TestApp) {
    let (acme, ada) = app.acme_with_ada().await;
    for name in NAMES_WITH_CONTROL_CHARACTERS {
        for (mutation, input) in name_inputs(&acme, &ada, name) {
            refused_input(&app, mutation, input, "name").await;
        }
        let reason = format!("reason: {name}");
        refused_input(
            &app,
            "suspendUser",
            input(&ada, 1, json!({ "reason": reason })),
            "reason",
        )
        .await;
    }
    // Still serving, and the user untouched: version 1, active.
    let user = change_user(&app, "renameUser", &ada, 1, json!({ "name": "Ada" })).await;
    assert_eq!(user["status"], "ACTIVE", "{user}");
}

async fn emoji_combining_characters_and_sql_are_stored_as_sent(app: TestApp) {
    let (acme, ada) = app.acme_with_ada().await;
    for (version, name) in (1..).zip(UNUSUAL_NAMES) {
        let user = change_user(&app, "renameUser", &ada, version, json!({ "name": name })).await;
        assert_eq!(user["name"], *name);
    }
    let longest = "🦀".repeat(200);
    let organization = accepted(
        &app,
        "renameOrganization",
        input(&acme, 1, json!({ "name": longest })),
    )
    .await;
    assert_eq!(
        organization["version"], 2,
        "200 four-byte characters is a valid name"
    );
    let too_long = "🦀".repeat(201);
    refused_input(
        &app,
        "renameOrganization",
        input(&acme, 2, json!({ "name": too_long })),
        "name",
    )
    .await;
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        control_characters_are_refused_naming_the_field,
        emoji_combining_characters_and_sql_are_stored_as_sent,
    )
}
