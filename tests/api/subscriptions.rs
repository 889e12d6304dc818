//! Subscriptions: `userChanged` and `organizationChanged` over both WebSocket protocols.
//!
//! Every listener first reads `readModel { position }` and subscribes `after` it, so no
//! change made afterwards can slip past a subscription that is still being set up: every
//! one of them must arrive, in order.

use std::collections::HashSet;

use libtest_mimic::Trial;
use serde_json::{Value, json};

use crate::support::{TestApp, WsClient, assert_no_errors, error_code, on_both_databases};
use crate::values::INVALID_POSITIONS;

const USER_CHANGE: &str = "kind userId organizationId event position
    user { id name email role status version organization { id } }";

const ORGANIZATION_CHANGE: &str = "kind organizationId event position
    organization { id slug name version }";

fn user_changed() -> String {
    format!(
        "subscription($organizationId: ID, $userId: ID, $after: String) {{
            userChanged(organizationId: $organizationId, userId: $userId, after: $after) {{ {USER_CHANGE} }} }}"
    )
}

fn organization_changed() -> String {
    format!(
        "subscription($id: ID, $after: String) {{
            organizationChanged(id: $id, after: $after) {{ {ORGANIZATION_CHANGE} }} }}"
    )
}

/// The two GraphQL-over-WebSocket protocols the server speaks.
#[derive(Debug, Clone, Copy)]
enum Protocol {
    /// `graphql-transport-ws` (the `graphql-ws` library).
    TransportWs,
    /// The legacy `graphql-ws` protocol (`subscriptions-transport-ws`).
    LegacyWs,
}

impl Protocol {
    /// The `type` of a message carrying a result.
    fn data_type(self) -> &'static str {
        match self {
            Self::TransportWs => "next",
            Self::LegacyWs => "data",
        }
    }
}

const SUBSCRIPTION_ID: &str = "1";

/// One subscription on its own socket.
struct Listener {
    client: WsClient,
    protocol: Protocol,
}

impl Listener {
    async fn open(
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
    async fn admin(app: &TestApp, protocol: Protocol, query: &str, variables: Value) -> Self {
        Self::open(app, protocol, Some(&app.admin), query, variables).await
    }

    /// The payload of the next result, which must come as the protocol's data message.
    async fn next_payload(&mut self) -> Value {
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
    async fn next_change(&mut self, field: &str) -> Value {
        let payload = self.next_payload().await;
        assert_no_errors(&payload);
        let change = payload["data"][field].clone();
        assert!(change.is_object(), "no {field} in {payload}");
        change
    }

    async fn next_user_change(&mut self) -> Value {
        self.next_change("userChanged").await
    }

    async fn next_organization_change(&mut self) -> Value {
        self.next_change("organizationChanged").await
    }

    /// The errors the subscription was refused with: an `error` message's payload, or the
    /// `errors` of a result.
    async fn refusal(&mut self) -> Value {
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

/// The read side's position once it has applied everything committed so far.
async fn read_position(app: &TestApp) -> String {
    app.settle().await;
    let body = app.gql("{ readModel { position } }", json!({})).await;
    assert_no_errors(&body);
    body["data"]["readModel"]["position"]
        .as_str()
        .expect("a position")
        .to_owned()
}

fn text(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
        .to_owned()
}

/// `renameUser` → `RenameUserInput`.
fn input_type(field: &str) -> String {
    let mut characters = field.chars();
    let first = characters
        .next()
        .expect("a field name")
        .to_ascii_uppercase();
    format!("{first}{}Input", characters.as_str())
}

/// Runs the admin mutation `field` with `input`, without waiting for the read side;
/// returns the new version.
async fn command(app: &TestApp, field: &str, input: Value) -> i64 {
    let query = format!(
        "mutation($input: {}!) {{ {field}(input: $input) {{ version }} }}",
        input_type(field)
    );
    let body = app.gql(&query, json!({ "input": input })).await;
    assert_no_errors(&body);
    body["data"][field]["version"]
        .as_i64()
        .unwrap_or_else(|| panic!("no version in {body}"))
}

async fn create_user_without_waiting(
    app: &TestApp,
    organization_id: &str,
    email: &str,
    name: &str,
) -> String {
    let body = app
        .gql(
            "mutation($input: CreateUserInput!) { createUser(input: $input) { userId version } }",
            json!({ "input": { "organizationId": organization_id, "email": email, "name": name } }),
        )
        .await;
    assert_no_errors(&body);
    assert_eq!(body["data"]["createUser"]["version"], 1, "{body}");
    text(&body["data"]["createUser"]["userId"])
}

async fn create_organization(app: &TestApp, slug: &str) -> String {
    text(&app.create_organization(slug, &format!("Org {slug}")).await["organizationId"])
}

/// A change a listener must receive: the user's state after it is `user` (null once
/// deleted).
#[derive(Debug, Clone)]
struct ExpectedUserChange {
    kind: &'static str,
    event: &'static str,
    user_id: String,
    organization_id: String,
    user: Value,
}

fn assert_user_change(change: &Value, expected: &ExpectedUserChange) {
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
struct UserScript<'a> {
    app: &'a TestApp,
    state: Value,
    expected: Vec<ExpectedUserChange>,
}

impl<'a> UserScript<'a> {
    async fn create(app: &'a TestApp, organization_id: &str, email: &str, name: &str) -> Self {
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

    fn user_id(&self) -> String {
        text(&self.state["id"])
    }

    fn organization_id(&self) -> String {
        text(&self.state["organization"]["id"])
    }

    fn version(&self) -> i64 {
        self.state["version"].as_i64().expect("a version")
    }

    /// The change the last command must produce.
    fn last(&self) -> ExpectedUserChange {
        self.expected.last().expect("at least the creation").clone()
    }

    fn expect(&mut self, kind: &'static str, event: &'static str) {
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
    async fn run(&mut self, field: &str, input: Value, event: &'static str, changes: Value) {
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

    async fn rename(&mut self, name: &str) {
        self.run(
            "renameUser",
            json!({ "name": name }),
            "UserRenamed",
            json!({ "name": name }),
        )
        .await;
    }

    /// Every kind of user command, ending with the deletion.
    async fn live_a_whole_life(&mut self) {
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
async fn receive_user_changes(
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
async fn assert_positions_follow_each_other(app: &TestApp, user_id: &str, positions: &[String]) {
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

async fn every_user_change_arrives_in_order_with_its_event_and_the_state_after_it(
    app: TestApp,
    protocol: Protocol,
) {
    let organization_id = create_organization(&app, "acme").await;
    let after = read_position(&app).await;
    let variables = json!({ "organizationId": organization_id, "after": after });
    let mut listener = Listener::admin(&app, protocol, &user_changed(), variables).await;

    let mut ada =
        UserScript::create(&app, &organization_id, "ada@example.com", "Ada Lovelace").await;
    // Once the creation has arrived the listener is live, so every later change comes with
    // the state right after it (a replayed one would carry the current state).
    let mut positions = receive_user_changes(&mut listener, &ada.expected).await;
    ada.live_a_whole_life().await;
    positions.extend(receive_user_changes(&mut listener, &ada.expected[1..]).await);
    assert_positions_follow_each_other(&app, &ada.user_id(), &positions).await;
}

async fn every_user_change_arrives_in_order_over_graphql_transport_ws(app: TestApp) {
    every_user_change_arrives_in_order_with_its_event_and_the_state_after_it(
        app,
        Protocol::TransportWs,
    )
    .await;
}

async fn every_user_change_arrives_in_order_over_the_legacy_graphql_ws_protocol(app: TestApp) {
    every_user_change_arrives_in_order_with_its_event_and_the_state_after_it(
        app,
        Protocol::LegacyWs,
    )
    .await;
}

/// Whether a `userChanged` listener with `filter` (its variables) wants `change`.
fn passes(filter: &Value, change: &ExpectedUserChange) -> bool {
    filter["organizationId"]
        .as_str()
        .is_none_or(|id| id == change.organization_id)
        && filter["userId"]
            .as_str()
            .is_none_or(|id| id == change.user_id)
}

async fn user_changed_filters_leave_out_other_organizations_and_other_users(app: TestApp) {
    let acme = create_organization(&app, "acme").await;
    let globex = create_organization(&app, "globex").await;
    let mut ada = UserScript::create(&app, &acme, "ada@example.com", "Ada").await;
    let after = read_position(&app).await;
    let filters = [
        json!({ "organizationId": acme }),
        json!({ "userId": ada.user_id() }),
    ];
    let mut listeners = Vec::new();
    for filter in &filters {
        let mut variables = filter.clone();
        variables["after"] = json!(after);
        listeners
            .push(Listener::admin(&app, Protocol::TransportWs, &user_changed(), variables).await);
    }

    // The first and the last change match every filter: the first shows each listener is
    // live; a change that leaked through a filter would arrive before the last one.
    let mut log = Vec::new();
    ada.rename("Ada K").await;
    log.push(ada.last());
    let mut grace = UserScript::create(&app, &acme, "grace@example.com", "Grace").await;
    log.push(grace.last());
    let mut linus = UserScript::create(&app, &globex, "linus@example.com", "Linus").await;
    log.push(linus.last());
    linus.rename("Linus T").await;
    log.push(linus.last());
    grace.rename("Grace H").await;
    log.push(grace.last());
    ada.rename("Ada L").await;
    log.push(ada.last());

    for (listener, filter) in listeners.iter_mut().zip(&filters) {
        let expected: Vec<_> = log
            .iter()
            .filter(|change| passes(filter, change))
            .cloned()
            .collect();
        assert!(
            expected.len() < log.len(),
            "the filter {filter} must leave something out"
        );
        receive_user_changes(listener, &expected).await;
    }
}

/// An organization change a listener must receive.
struct ExpectedOrganizationChange {
    kind: &'static str,
    event: &'static str,
    organization: Value,
}

async fn rename_organization(
    app: &TestApp,
    id: &str,
    version: i64,
    name: &str,
) -> ExpectedOrganizationChange {
    let input = json!({ "id": id, "expectedVersion": version, "name": name });
    let version = command(app, "renameOrganization", input).await;
    let body = app
        .gql(
            "query($id: ID) { organization(id: $id) { slug } }",
            json!({ "id": id }),
        )
        .await;
    let slug = body["data"]["organization"]["slug"].clone();
    assert!(slug.is_string(), "{body}");
    ExpectedOrganizationChange {
        kind: "UPDATED",
        event: "OrganizationRenamed",
        organization: json!({ "id": id, "slug": slug, "name": name, "version": version }),
    }
}

async fn organization_changes_arrive_with_their_event_and_the_id_filter_holds(app: TestApp) {
    let acme = create_organization(&app, "acme").await;
    let globex = create_organization(&app, "globex").await;
    let after = read_position(&app).await;
    let filters = [json!({}), json!({ "id": acme })];
    let mut listeners = Vec::new();
    for filter in &filters {
        let mut variables = filter.clone();
        variables["after"] = json!(after);
        listeners.push(
            Listener::admin(
                &app,
                Protocol::TransportWs,
                &organization_changed(),
                variables,
            )
            .await,
        );
    }

    // As for users: the first and the last change match both listeners.
    let mut log = vec![rename_organization(&app, &acme, 1, "Acme Inc").await];
    let initech = create_organization(&app, "initech").await;
    log.push(ExpectedOrganizationChange {
        kind: "CREATED",
        event: "OrganizationCreated",
        organization: json!({ "id": initech, "slug": "initech", "name": "Org initech", "version": 1 }),
    });
    log.push(rename_organization(&app, &globex, 1, "Globex Corp").await);
    // A user change is not an organization change.
    create_user_without_waiting(&app, &acme, "ada@example.com", "Ada").await;
    log.push(rename_organization(&app, &acme, 2, "Acme Industries").await);

    for (listener, filter) in listeners.iter_mut().zip(&filters) {
        let wanted = filter["id"].as_str();
        let expected: Vec<_> = log
            .iter()
            .filter(|change| wanted.is_none_or(|id| change.organization["id"] == id))
            .collect();
        let mut positions = HashSet::new();
        for expected in expected {
            let change = listener.next_organization_change().await;
            assert_eq!(change["kind"], expected.kind, "{change}");
            assert_eq!(change["event"], expected.event, "{change}");
            assert_eq!(
                change["organizationId"], expected.organization["id"],
                "{change}"
            );
            assert_eq!(
                change["organization"], expected.organization,
                "the state after {}: {change}",
                expected.event
            );
            assert!(
                positions.insert(text(&change["position"])),
                "a position repeats: {change}"
            );
        }
    }
}

async fn a_listener_resuming_after_a_position_gets_every_later_change_once_then_live_ones(
    app: TestApp,
    protocol: Protocol,
) {
    let organization_id = create_organization(&app, "acme").await;
    let after = read_position(&app).await;
    let variables = json!({ "organizationId": organization_id, "after": after });
    let mut first = Listener::admin(&app, protocol, &user_changed(), variables.clone()).await;

    let mut ada = UserScript::create(&app, &organization_id, "ada@example.com", "Ada").await;
    // Once the creation has arrived the listener is live: later changes carry their own state.
    let mut positions = receive_user_changes(&mut first, &ada.expected).await;
    for round in 1..=5 {
        ada.rename(&format!("Ada {round}")).await;
    }
    positions.extend(receive_user_changes(&mut first, &ada.expected[1..]).await);

    // Resume after a change in the middle: the rest is replayed, with the current state.
    let middle = positions.len() / 2;
    let mut resumed_variables = variables;
    resumed_variables["after"] = json!(positions[middle]);
    let mut resumed = Listener::admin(&app, protocol, &user_changed(), resumed_variables).await;
    let current = ada.state.clone();
    let replayed: Vec<_> = ada.expected[middle + 1..]
        .iter()
        .map(|change| ExpectedUserChange {
            user: current.clone(),
            ..change.clone()
        })
        .collect();
    let replayed_positions = receive_user_changes(&mut resumed, &replayed).await;
    assert_eq!(
        replayed_positions,
        positions[middle + 1..],
        "the replay must continue right after {}",
        positions[middle]
    );

    // Then live, without repeating anything replayed.
    ada.rename("Ada live").await;
    let live = ada.expected.last().expect("the live change").clone();
    let seen_live = receive_user_changes(&mut resumed, std::slice::from_ref(&live)).await;
    assert_eq!(
        receive_user_changes(&mut first, &[live]).await,
        seen_live,
        "both listeners see one position"
    );
    assert!(
        !positions.contains(&seen_live[0]),
        "a live change reused a position: {seen_live:?} in {positions:?}"
    );
}

async fn a_listener_resuming_after_a_position_over_graphql_transport_ws_misses_nothing(
    app: TestApp,
) {
    a_listener_resuming_after_a_position_gets_every_later_change_once_then_live_ones(
        app,
        Protocol::TransportWs,
    )
    .await;
}

async fn a_listener_resuming_after_a_position_over_the_legacy_protocol_misses_nothing(
    app: TestApp,
) {
    a_listener_resuming_after_a_position_gets_every_later_change_once_then_live_ones(
        app,
        Protocol::LegacyWs,
    )
    .await;
}

fn name_at_version(version: i64) -> String {
    format!("Ada v{version}")
}

async fn a_listener_that_queries_right_after_a_change_sees_at_least_that_state(app: TestApp) {
    let organization_id = create_organization(&app, "acme").await;
    let user_id = create_user_without_waiting(
        &app,
        &organization_id,
        "ada@example.com",
        &name_at_version(1),
    )
    .await;
    app.settle().await;
    let after = read_position(&app).await;
    let variables = json!({ "userId": user_id, "after": after });
    let mut listener =
        Listener::admin(&app, Protocol::TransportWs, &user_changed(), variables).await;

    const RENAMES: i64 = 15;
    let renames = async {
        for version in 2..=RENAMES + 1 {
            let input = json!({ "id": user_id, "expectedVersion": version - 1, "name": name_at_version(version) });
            assert_eq!(command(&app, "renameUser", input).await, version);
        }
    };
    let queries = async {
        for _ in 0..RENAMES {
            let change = listener.next_user_change().await;
            assert_eq!(change["event"], "UserRenamed", "{change}");
            let seen = change["user"]["version"].as_i64().expect("a version");
            assert_eq!(change["user"]["name"], name_at_version(seen), "{change}");
            // No consistency token: the change itself must be enough.
            let body = app
                .gql(
                    "query($id: ID!, $organizationId: ID!) { user(id: $id) { name version }
                        users(organizationId: $organizationId) { nodes { id name version } } }",
                    json!({ "id": user_id, "organizationId": organization_id }),
                )
                .await;
            assert_no_errors(&body);
            let listed = body["data"]["users"]["nodes"]
                .as_array()
                .and_then(|nodes| nodes.iter().find(|node| node["id"] == user_id.as_str()))
                .unwrap_or_else(|| panic!("the user is not listed: {body}"));
            for (how, read) in [("user(id)", &body["data"]["user"]), ("users", listed)] {
                let version = read["version"]
                    .as_i64()
                    .unwrap_or_else(|| panic!("{how} found no user: {body}"));
                assert!(
                    version >= seen,
                    "{how} answered version {version} after the listener got {seen}: {body}"
                );
                assert_eq!(read["name"], name_at_version(version), "{how}: {body}");
            }
        }
    };
    tokio::join!(renames, queries);
}

async fn a_listener_who_is_not_an_admin_gets_a_null_email_and_a_forbidden_error(app: TestApp) {
    let organization_id = create_organization(&app, "acme").await;
    for (who, token) in [("viewer", Some(app.viewer.as_str())), ("anonymous", None)] {
        let after = read_position(&app).await;
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

pub(crate) fn trials() -> Vec<Trial> {
    on_both_databases!(
        every_user_change_arrives_in_order_over_graphql_transport_ws,
        every_user_change_arrives_in_order_over_the_legacy_graphql_ws_protocol,
        user_changed_filters_leave_out_other_organizations_and_other_users,
        organization_changes_arrive_with_their_event_and_the_id_filter_holds,
        a_listener_resuming_after_a_position_over_graphql_transport_ws_misses_nothing,
        a_listener_resuming_after_a_position_over_the_legacy_protocol_misses_nothing,
        a_listener_that_queries_right_after_a_change_sees_at_least_that_state,
        a_listener_who_is_not_an_admin_gets_a_null_email_and_a_forbidden_error,
        a_malformed_after_position_is_refused_as_bad_user_input,
    )
}
