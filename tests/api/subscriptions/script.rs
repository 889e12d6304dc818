//! A user taken through commands, with the change each must produce for a listener.

use serde_json::{Value, json};

use super::listener::{Listener, Protocol, command, create_user_without_waiting, user_changed};
use crate::support::{TestApp, text};

/// A change a listener must receive: the user's state after it is `user` (null once
/// deleted).
#[derive(Debug, Clone)]
pub(super) struct ExpectedUserChange {
    pub(super) kind: &'static str,
    pub(super) event: &'static str,
    pub(super) user_id: String,
    pub(super) organization_id: String,
    pub(super) user: Value,
}

pub(super) fn assert_user_change(change: &Value, expected: &ExpectedUserChange) {
    assert_eq!(change["kind"], expected.kind, "{change}");
    assert_eq!(change["event"], expected.event, "{change}");
    assert_eq!(change["userId"], expected.user_id.as_str(), "{change}");
    assert_eq!(
        change["organizationId"],
        expected.organization_id.as_str(),
        "{change}"
    );
    assert_eq!(
        change["user"], expected.user,
        "the state after {}: {change}",
        expected.event
    );
    assert!(
        change["position"]
            .as_str()
            .is_some_and(|position| !position.is_empty()),
        "{change}"
    );
}

/// Tracks one user through commands, recording the change each must produce.
pub(super) struct UserScript<'a> {
    app: &'a TestApp,
    pub(super) state: Value,
    pub(super) expected: Vec<ExpectedUserChange>,
}

impl<'a> UserScript<'a> {
    pub(super) async fn create(
        app: &'a TestApp,
        organization_id: &str,
        email: &str,
        name: &str,
    ) -> Self {
        let user_id = create_user_without_waiting(app, organization_id, email, name).await;
        let state = json!({
            "id": user_id, "name": name, "email": email, "role": "MEMBER", "status": "ACTIVE",
            "version": 1, "organization": { "id": organization_id },
        });
        let mut script = Self {
            app,
            state,
            expected: Vec::new(),
        };
        script.expect("CREATED", "UserCreated");
        script
    }

    pub(super) fn user_id(&self) -> String {
        text(&self.state["id"])
    }

    pub(super) fn organization_id(&self) -> String {
        text(&self.state["organization"]["id"])
    }

    pub(super) fn version(&self) -> i64 {
        self.state["version"].as_i64().expect("a version")
    }

    /// The change the last command must produce.
    pub(super) fn last(&self) -> ExpectedUserChange {
        self.expected.last().expect("at least the creation").clone()
    }

    pub(super) fn expect(&mut self, kind: &'static str, event: &'static str) {
        let user = if kind == "DELETED" {
            Value::Null
        } else {
            self.state.clone()
        };
        self.expected.push(ExpectedUserChange {
            kind,
            event,
            user_id: self.user_id(),
            organization_id: self.organization_id(),
            user,
        });
    }

    /// Runs `field` with `input` (plus id and expectedVersion); `changes` are the fields it
    /// sets on the user.
    pub(super) async fn run(
        &mut self,
        field: &str,
        input: Value,
        event: &'static str,
        changes: Value,
    ) {
        let mut input = input;
        input["id"] = json!(self.user_id());
        input["expectedVersion"] = json!(self.version());
        let version = command(self.app, field, input).await;
        assert_eq!(
            version,
            self.version() + 1,
            "{field} must grow the version by exactly 1"
        );
        for (key, value) in changes.as_object().expect("changed fields") {
            self.state[key] = value.clone();
        }
        self.state["version"] = json!(version);
        let kind = if field == "deleteUser" {
            "DELETED"
        } else {
            "UPDATED"
        };
        self.expect(kind, event);
    }

    pub(super) async fn rename(&mut self, name: &str) {
        self.run(
            "renameUser",
            json!({ "name": name }),
            "UserRenamed",
            json!({ "name": name }),
        )
        .await;
    }

    /// Every kind of user command, ending with the deletion.
    pub(super) async fn live_a_whole_life(&mut self) {
        self.rename("Ada King").await;
        let email = format!("king.{}", text(&self.state["email"]));
        self.run(
            "changeUserEmail",
            json!({ "email": email }),
            "UserEmailChanged",
            json!({ "email": email }),
        )
        .await;
        self.run(
            "changeUserRole",
            json!({ "role": "ADMIN" }),
            "UserRoleChanged",
            json!({ "role": "ADMIN" }),
        )
        .await;
        self.run(
            "suspendUser",
            json!({ "reason": "audit" }),
            "UserSuspended",
            json!({ "status": "SUSPENDED" }),
        )
        .await;
        self.run(
            "reactivateUser",
            json!({}),
            "UserReactivated",
            json!({ "status": "ACTIVE" }),
        )
        .await;
        self.run("deleteUser", json!({}), "UserDeleted", json!({}))
            .await;
    }
}

/// Receives one change per expected one and checks each; returns their positions.
pub(super) async fn receive_user_changes(
    listener: &mut Listener,
    expected: &[ExpectedUserChange],
) -> Vec<String> {
    let mut positions = Vec::new();
    for expected in expected {
        let change = listener.next_user_change().await;
        assert_user_change(&change, expected);
        positions.push(text(&change["position"]));
    }
    positions
}

/// Positions are opaque to clients, so their order is checked by the server's own: a
/// listener resuming after each position must get the next one first.
pub(super) async fn assert_positions_follow_each_other(
    app: &TestApp,
    user_id: &str,
    positions: &[String],
) {
    for pair in positions.windows(2) {
        assert_ne!(
            pair[0], pair[1],
            "two changes share a position: {positions:?}"
        );
        let variables = json!({ "userId": user_id, "after": pair[0] });
        let mut listener =
            Listener::admin(app, Protocol::TransportWs, &user_changed(), variables).await;
        let change = listener.next_user_change().await;
        assert_eq!(
            change["position"],
            pair[1].as_str(),
            "the change after {} in {positions:?}",
            pair[0]
        );
    }
}
