//! One subscription on its own socket, over either protocol, and the commands the
//! subscription tests run (without waiting for the read side).

use serde_json::{Value, json};

use crate::support::{self, TestApp, WsClient, assert_no_errors, text};

pub(super) const USER_CHANGE: &str = "kind userId organizationId event position
    user { id name email role status version organization { id } }";

pub(super) const ORGANIZATION_CHANGE: &str = "kind organizationId event position
    organization { id slug name version }";

pub(super) fn user_changed() -> String {
    support::user_changed(USER_CHANGE)
}

pub(super) fn organization_changed() -> String {
    format!(
        "subscription($id: ID, $after: String) {{
            organizationChanged(id: $id, after: $after) {{ {ORGANIZATION_CHANGE} }} }}"
    )
}

/// The two GraphQL-over-WebSocket protocols the server speaks.
#[derive(Debug, Clone, Copy)]
pub(super) enum Protocol {
    /// `graphql-transport-ws` (the `graphql-ws` library).
    TransportWs,
    /// The legacy `graphql-ws` protocol (`subscriptions-transport-ws`).
    LegacyWs,
}

impl Protocol {
    /// The `type` of a message carrying a result.
    pub(super) fn data_type(self) -> &'static str {
        match self {
            Self::TransportWs => "next",
            Self::LegacyWs => "data",
        }
    }
}

pub(super) const SUBSCRIPTION_ID: &str = "1";

/// One subscription on its own socket.
pub(super) struct Listener {
    client: WsClient,
    protocol: Protocol,
}

impl Listener {
    pub(super) async fn open(
        app: &TestApp,
        protocol: Protocol,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Self {
        let client = match protocol {
            Protocol::TransportWs => {
                let mut client = WsClient::connect(app, token).await;
                client.subscribe(SUBSCRIPTION_ID, query, variables).await;
                client
            }
            Protocol::LegacyWs => {
                let mut client = WsClient::connect_with(app, "graphql-ws", token).await;
                client
                    .send(json!({
                        "id": SUBSCRIPTION_ID,
                        "type": "start",
                        "payload": { "query": query, "variables": variables },
                    }))
                    .await;
                client
            }
        };
        Self { client, protocol }
    }

    /// As an admin.
    pub(super) async fn admin(
        app: &TestApp,
        protocol: Protocol,
        query: &str,
        variables: Value,
    ) -> Self {
        Self::open(app, protocol, Some(&app.admin), query, variables).await
    }

    /// The payload of the next result, which must come as the protocol's data message.
    pub(super) async fn next_payload(&mut self) -> Value {
        let message = self.client.receive().await.expect("the socket stays open");
        assert_eq!(
            message["type"],
            self.protocol.data_type(),
            "expected a result, got {message}"
        );
        assert_eq!(message["id"], SUBSCRIPTION_ID, "{message}");
        message["payload"].clone()
    }

    /// The next change under `field`, which must come without errors.
    pub(super) async fn next_change(&mut self, field: &str) -> Value {
        let payload = self.next_payload().await;
        assert_no_errors(&payload);
        let change = payload["data"][field].clone();
        assert!(change.is_object(), "no {field} in {payload}");
        change
    }

    pub(super) async fn next_user_change(&mut self) -> Value {
        self.next_change("userChanged").await
    }

    pub(super) async fn next_organization_change(&mut self) -> Value {
        self.next_change("organizationChanged").await
    }

    /// The errors the subscription was refused with: an `error` message's payload, or the
    /// `errors` of a result.
    pub(super) async fn refusal(&mut self) -> Value {
        let message = self
            .client
            .receive()
            .await
            .expect("an answer to the subscription");
        assert_eq!(message["id"], SUBSCRIPTION_ID, "{message}");
        let errors = if message["type"] == "error" {
            message["payload"].clone()
        } else {
            assert_eq!(message["type"], self.protocol.data_type(), "{message}");
            assert!(
                message["payload"]["data"].is_null(),
                "a refused subscription returned data: {message}"
            );
            message["payload"]["errors"].clone()
        };
        assert!(
            errors.as_array().is_some_and(|errors| !errors.is_empty()),
            "no errors in {message}"
        );
        json!({ "errors": errors })
    }
}

/// Runs the admin mutation `field` with `input`, without waiting for the read side;
/// returns the new version.
pub(super) async fn command(app: &TestApp, field: &str, input: Value) -> i64 {
    let payload = app.mutate(field, input, "version").await;
    payload["version"]
        .as_i64()
        .unwrap_or_else(|| panic!("no version in {payload}"))
}

pub(super) async fn create_user_without_waiting(
    app: &TestApp,
    organization_id: &str,
    email: &str,
    name: &str,
) -> String {
    let input = json!({ "organizationId": organization_id, "email": email, "name": name });
    let payload = app.mutate("createUser", input, "userId version").await;
    assert_eq!(payload["version"], 1, "{payload}");
    text(&payload["userId"])
}

pub(super) async fn create_organization(app: &TestApp, slug: &str) -> String {
    text(&app.create_organization(slug, &format!("Org {slug}")).await["organizationId"])
}
