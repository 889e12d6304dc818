//! What a listener gets instead of data: a null email with FORBIDDEN when it is no admin,
//! BAD_USER_INPUT for an `after` that is no position or one beyond the last change.

use libtest_mimic::Trial;
use serde_json::{Value, json};

use super::listener::{
    Listener, Protocol, create_organization, create_user_without_waiting, organization_changed,
    user_changed,
};
use crate::support::{TestApp, error_code, on_both_databases};
use crate::values::INVALID_POSITIONS;

async fn a_listener_who_is_not_an_admin_gets_a_null_email_and_a_forbidden_error(app: TestApp) {
    let organization_id = create_organization(&app, "acme").await;
    for (who, token) in [("viewer", Some(app.viewer.as_str())), ("anonymous", None)] {
        let after = app.read_position().await;
        let variables = json!({ "organizationId": organization_id, "after": after });
        let mut listener = Listener::open(
            &app,
            Protocol::TransportWs,
            token,
            &user_changed(),
            variables,
        )
        .await;
        let email = format!("{who}@example.com");
        let user_id = create_user_without_waiting(&app, &organization_id, &email, who).await;

        let payload = listener.next_payload().await;
        let change = &payload["data"]["userChanged"];
        assert_eq!(change["userId"], user_id.as_str(), "{who}: {payload}");
        assert_eq!(
            change["user"]["name"], who,
            "{who}: the rest of the user is readable: {payload}"
        );
        let user = change["user"]
            .as_object()
            .unwrap_or_else(|| panic!("{who}: no user in {payload}"));
        assert_eq!(
            user.get("email"),
            Some(&Value::Null),
            "{who}: the email must be an explicit null: {payload}"
        );
        assert_eq!(error_code(&payload), "FORBIDDEN", "{who}: {payload}");
        assert_eq!(
            payload["errors"][0]["path"],
            json!(["userChanged", "user", "email"]),
            "{who}: {payload}"
        );
        assert!(
            !payload.to_string().contains(&email),
            "{who} was sent the email: {payload}"
        );
    }
}

async fn a_malformed_after_position_is_refused_as_bad_user_input(app: TestApp) {
    for (field, query) in [
        ("userChanged", user_changed()),
        ("organizationChanged", organization_changed()),
    ] {
        for bad in INVALID_POSITIONS {
            for protocol in [Protocol::TransportWs, Protocol::LegacyWs] {
                let mut listener =
                    Listener::admin(&app, protocol, &query, json!({ "after": bad })).await;
                let refusal = listener.refusal().await;
                let context = format!("{field}(after: {bad:?}) over {protocol:?}: {refusal}");
                assert_eq!(error_code(&refusal), "BAD_USER_INPUT", "{context}");
                assert_eq!(
                    refusal["errors"][0]["extensions"]["field"], "after",
                    "{context}"
                );
                assert!(
                    refusal["errors"][0]["message"]
                        .as_str()
                        .is_some_and(|message| !message.is_empty()),
                    "{context}"
                );
            }
        }
    }
}

/// `position` with its transaction or its sequence number moved on by `by`.
fn beyond(position: &str, by: i64) -> [String; 2] {
    let (transaction, sequence) = position
        .split_once('.')
        .unwrap_or_else(|| panic!("an unexpected position {position:?}"));
    let number = |part: &str| part.parse::<i64>().expect("a number") + by;
    [
        format!("{}.{sequence}", number(transaction)),
        format!("{transaction}.{}", number(sequence)),
    ]
}

async fn an_after_beyond_the_last_change_is_refused_as_bad_user_input(app: TestApp) {
    create_organization(&app, "acme").await;
    let head = app.read_position().await;
    for (field, query) in [
        ("userChanged", user_changed()),
        ("organizationChanged", organization_changed()),
    ] {
        for ahead in beyond(&head, 1).into_iter().chain(beyond(&head, 1_000_000)) {
            for protocol in [Protocol::TransportWs, Protocol::LegacyWs] {
                let mut listener =
                    Listener::admin(&app, protocol, &query, json!({ "after": ahead })).await;
                let refusal = listener.refusal().await;
                let context = format!("{field}(after: {ahead:?}) over {protocol:?}: {refusal}");
                assert_eq!(error_code(&refusal), "BAD_USER_INPUT", "{context}");
                assert_eq!(
                    refusal["errors"][0]["extensions"]["field"], "after",
                    "{context}"
                );
            }
        }
    }
    // The last change itself is a position a listener may have seen: it gets what follows.
    let mut listener = Listener::admin(
        &app,
        Protocol::TransportWs,
        &organization_changed(),
        json!({ "after": head }),
    )
    .await;
    create_organization(&app, "globex").await;
    let change = listener.next_organization_change().await;
    assert_eq!(change["organization"]["slug"], "globex", "{change}");
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        a_listener_who_is_not_an_admin_gets_a_null_email_and_a_forbidden_error,
        a_malformed_after_position_is_refused_as_bad_user_input,
        an_after_beyond_the_last_change_is_refused_as_bad_user_input,
    )
}
