//! Who may do what (API.md "Authentication"): mutations are admin-only, emails are
//! admin-only, and a bad, expired or wrongly signed token is refused on HTTP and on
//! WebSocket, never taken for an anonymous caller.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rosterql::auth::{Role, TokenKeys};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::commands::{assert_no_internal_detail, input, mutation_document, snapshot};
use crate::helpers::{Backend, JWT_SECRET, TestApp, WsClient, assert_no_errors, error_code};
use crate::on_both_databases;

/// A query any caller, even an anonymous one, may run.
const PUBLIC_QUERY: &str = "{ organizations { totalCount } }";
const USER_CHANGED: &str = "subscription($organization: ID, $after: String) {
    userChanged(organizationId: $organization, after: $after) { event user { name email } } }";

// ---------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------

fn unix_now() -> i64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970");
    i64::try_from(since_epoch.as_secs()).expect("a time in range")
}

/// A JWT (HS256) over any `claims`, signed with the test app's secret.
fn signed(claims: Value) -> String {
    let key = EncodingKey::from_secret(JWT_SECRET.as_bytes());
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key).expect("HS256 signs")
}

/// An admin token, signed with the right secret, that expires `expires_in` seconds from now.
fn admin_token_expiring_in(expires_in: i64) -> String {
    signed(json!({ "sub": "test-user", "role": "admin", "exp": unix_now() + expires_in }))
}

fn admin_token_of_another_secret() -> String {
    TokenKeys::new(b"another-secret")
        .issue("test-user", Role::Admin, Duration::from_secs(3600))
        .expect("the token signs")
}

/// Every `Authorization` value the contract refuses, with what is wrong with it.
fn bad_authorizations() -> Vec<(&'static str, String)> {
    vec![
        ("a garbage token", "Bearer garbage".to_owned()),
        (
            "an expired token",
            format!("Bearer {}", admin_token_expiring_in(-60)),
        ),
        (
            "a token of another secret",
            format!("Bearer {}", admin_token_of_another_secret()),
        ),
        (
            "a token with an unknown role",
            format!(
                "Bearer {}",
                signed(json!({ "sub": "test-user", "role": "root", "exp": unix_now() + 3600 }))
            ),
        ),
        ("a Basic authorization", "Basic dGVzdDp0ZXN0".to_owned()),
    ]
}

// ---------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------

/// POSTs `query` with `authorization` as the raw `Authorization` header (None: no header).
async fn post_with(
    app: &TestApp,
    authorization: Option<&str>,
    query: &str,
    variables: Value,
) -> Value {
    let headers: Vec<(&str, &str)> = authorization
        .map(|value| ("Authorization", value))
        .into_iter()
        .collect();
    app.post(
        None,
        &headers,
        json!({ "query": query, "variables": variables }),
    )
    .await
    .1
}

/// A query anonymous callers may run and a mutation, both sent with `authorization`: both
/// must be refused with UNAUTHENTICATED, with no data, and nothing written.
async fn assert_refused_as_unauthenticated(app: &TestApp, authorization: &str) {
    let anonymous = post_with(app, None, PUBLIC_QUERY, json!({})).await;
    assert_no_errors(&anonymous);
    assert!(
        anonymous["data"]["organizations"]["totalCount"].is_number(),
        "{anonymous}"
    );

    let before = snapshot(app).await;
    let create = json!({ "input": { "slug": "globex", "name": "Globex" } });
    let requests = [
        ("organizations", PUBLIC_QUERY.to_owned(), json!({})),
        (
            "createOrganization",
            mutation_document("createOrganization"),
            create,
        ),
    ];
    for (field, query, variables) in requests {
        let body = post_with(app, Some(authorization), &query, variables).await;
        assert_eq!(
            error_code(&body),
            "UNAUTHENTICATED",
            "{authorization:?} on {field}: {body}"
        );
        assert!(
            body["data"][field].is_null(),
            "{authorization:?} got data: {body}"
        );
        assert_no_internal_detail(&body["errors"][0]);
    }
    assert_eq!(
        snapshot(app).await,
        before,
        "{authorization:?} wrote something"
    );
}

/// The organization `acme` with the active user Ada (ada@example.com); returns their ids.
async fn acme_with_ada(app: &TestApp) -> (String, String) {
    let (organization_id, user) = app.organization_with_user().await;
    let user_id = user["userId"].as_str().expect("a user id").to_owned();
    app.settle().await;
    (organization_id, user_id)
}

/// The names `users(filter: { search })` lists for `token` (None: anonymous).
async fn names_found_by(app: &TestApp, token: Option<&str>, search: &str) -> Vec<Value> {
    let body = app
        .gql_as(
            token,
            "query($search: String) { users(filter: { search: $search }) { nodes { name } } }",
            json!({ "search": search }),
        )
        .await;
    assert_no_errors(&body);
    let nodes = body["data"]["users"]["nodes"]
        .as_array()
        .expect("a list of users");
    nodes.iter().map(|node| node["name"].clone()).collect()
}

/// The `path`s of `body`'s errors, which must all be FORBIDDEN, in a stable order.
fn forbidden_paths(body: &Value) -> Vec<Value> {
    let errors = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {body}"));
    let mut paths: Vec<Value> = errors
        .iter()
        .map(|error| {
            assert_eq!(error["extensions"]["code"], "FORBIDDEN", "{error}");
            error["path"].clone()
        })
        .collect();
    paths.sort_by_key(Value::to_string);
    paths
}

// ---------------------------------------------------------------------------------------
// WebSocket
// ---------------------------------------------------------------------------------------

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What a socket said next, pings and keep-alives aside.
#[derive(Debug)]
enum Answer {
    Message(Value),
    /// The socket closed (the close code is asserted by the WebSocket hardening issue).
    Closed,
}

impl Answer {
    fn is(&self, message_type: &str) -> bool {
        matches!(self, Self::Message(message) if message["type"] == message_type)
    }
}

/// The socket's next answer within `wait` (None: it said nothing); pings are answered.
async fn next_answer(socket: &mut Socket, wait: Duration) -> Option<Answer> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let next = tokio::time::timeout_at(deadline, socket.next())
            .await
            .ok()?;
        match next {
            Some(Ok(Message::Text(text))) => {
                let message: Value = serde_json::from_str(&text).expect("a JSON message");
                if message["type"] == "ping" {
                    let pong = json!({ "type": "pong" }).to_string();
                    let _ = socket.send(Message::text(pong)).await;
                } else if message["type"] != "ka" {
                    return Some(Answer::Message(message));
                }
            }
            Some(Ok(Message::Close(_))) => return Some(Answer::Closed),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return Some(Answer::Closed),
        }
    }
}

/// Opens a socket speaking `protocol` and sends `connection_init` carrying `authorization`
/// (None: an empty payload); returns the socket and its first answer.
async fn init_socket(
    app: &TestApp,
    protocol: &str,
    authorization: Option<&str>,
) -> (Socket, Answer) {
    let mut request = app.ws_url().into_client_request().expect("a ws request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        protocol.parse().expect("a header value"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("the socket opens");
    let payload =
        authorization.map_or_else(|| json!({}), |value| json!({ "Authorization": value }));
    let init = json!({ "type": "connection_init", "payload": payload });
    socket
        .send(Message::text(init.to_string()))
        .await
        .expect("the socket sends");
    let answer = next_answer(&mut socket, Duration::from_secs(15))
        .await
        .expect("an answer to connection_init in time");
    (socket, answer)
}

async fn answer_to_init(app: &TestApp, protocol: &str, authorization: Option<&str>) -> Answer {
    init_socket(app, protocol, authorization).await.1
}

/// A `userChanged` subscription on `organization_id` over a socket initialised with `token`,
/// then a new user there; returns the subscription's payload for that user.
async fn user_created_as_seen_over_websocket_by(
    app: &TestApp,
    token: &str,
    organization_id: &str,
) -> Value {
    app.settle().await;
    let position =
        app.gql("{ readModel { position } }", json!({})).await["data"]["readModel"]["position"]
            .clone();
    let mut socket = WsClient::connect(app, Some(token)).await;
    socket
        .subscribe(
            "1",
            USER_CHANGED,
            json!({ "organization": organization_id, "after": position }),
        )
        .await;
    app.create_user(organization_id, "grace@example.com", "Grace Hopper")
        .await;
    let payload = socket.next_data().await;
    assert_eq!(
        payload["data"]["userChanged"]["event"], "UserCreated",
        "{payload}"
    );
    payload
}

// ---------------------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------------------

async fn every_mutation_is_unauthenticated_for_anonymous_forbidden_for_viewers_and_ok_for_admins(
    backend: Backend,
) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (acme, ada) = acme_with_ada(&app).await;
    // In this order, each step is a valid command for an admin.
    let steps = [
        (
            "createOrganization",
            json!({ "slug": "globex", "name": "Globex" }),
        ),
        (
            "renameOrganization",
            input(&acme, 1, json!({ "name": "Acme Inc" })),
        ),
        (
            "createUser",
            json!({ "organizationId": acme, "email": "grace@example.com", "name": "Grace Hopper" }),
        ),
        ("renameUser", input(&ada, 1, json!({ "name": "Ada King" }))),
        (
            "changeUserEmail",
            input(&ada, 2, json!({ "email": "ada@king.example" })),
        ),
        ("changeUserRole", input(&ada, 3, json!({ "role": "OWNER" }))),
        ("suspendUser", input(&ada, 4, json!({}))),
        ("reactivateUser", input(&ada, 5, json!({}))),
        ("deleteUser", input(&ada, 6, json!({}))),
    ];
    let callers = [
        ("anonymous", None, "UNAUTHENTICATED"),
        ("a viewer", Some(app.viewer.as_str()), "FORBIDDEN"),
    ];
    for (mutation, input) in steps {
        let document = mutation_document(mutation);
        let variables = json!({ "input": input });
        let before = snapshot(&app).await;
        for (caller, token, code) in callers {
            let body = app.gql_as(token, &document, variables.clone()).await;
            assert_eq!(error_code(&body), code, "{mutation} by {caller}: {body}");
            assert!(
                body["data"][mutation].is_null(),
                "{mutation} by {caller}: {body}"
            );
            assert_no_internal_detail(&body["errors"][0]);
        }
        assert_eq!(
            snapshot(&app).await,
            before,
            "a refused {mutation} wrote something"
        );

        let body = app.gql(&document, variables).await;
        assert_no_errors(&body);
        assert!(body["data"][mutation]["version"].is_number(), "{body}");
    }
}

// ---------------------------------------------------------------------------------------
// Emails
// ---------------------------------------------------------------------------------------

async fn an_admin_reads_emails(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (acme, ada) = acme_with_ada(&app).await;
    app.create_user(&acme, "grace@example.com", "Grace Hopper")
        .await;
    app.settle().await;

    let body = app
        .gql(
            "query($id: ID!) { user(id: $id) { name email } }",
            json!({ "id": ada }),
        )
        .await;
    assert_no_errors(&body);
    assert_eq!(
        body["data"]["user"],
        json!({ "name": "Ada Lovelace", "email": "ada@example.com" })
    );
    let body = app.gql("{ users { nodes { email } } }", json!({})).await;
    assert_no_errors(&body);
    assert_eq!(
        body["data"]["users"]["nodes"],
        json!([{ "email": "ada@example.com" }, { "email": "grace@example.com" }])
    );
}

async fn viewers_and_anonymous_callers_get_a_null_email_and_a_forbidden_error_at_its_path(
    backend: Backend,
) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (acme, ada) = acme_with_ada(&app).await;
    app.create_user(&acme, "grace@example.com", "Grace Hopper")
        .await;
    app.settle().await;

    for token in [None, Some(app.viewer.as_str())] {
        let body = app
            .gql_as(
                token,
                "query($id: ID!) { user(id: $id) { name email } }",
                json!({ "id": ada }),
            )
            .await;
        assert_eq!(
            body["data"]["user"],
            json!({ "name": "Ada Lovelace", "email": null }),
            "{body}"
        );
        assert_eq!(forbidden_paths(&body), [json!(["user", "email"])]);

        let body = app
            .gql_as(token, "{ users { nodes { name email } } }", json!({}))
            .await;
        assert_eq!(
            body["data"]["users"]["nodes"],
            json!([{ "name": "Ada Lovelace", "email": null }, { "name": "Grace Hopper", "email": null }]),
            "{body}"
        );
        let paths = [
            json!(["users", "nodes", 0, "email"]),
            json!(["users", "nodes", 1, "email"]),
        ];
        assert_eq!(forbidden_paths(&body), paths);
    }
}

async fn user_by_email_is_unauthenticated_for_anonymous_and_forbidden_for_viewers(
    backend: Backend,
) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    acme_with_ada(&app).await;
    let query = "{ userByEmail(email: \"ada@example.com\") { name } }";
    for (token, code) in [
        (None, "UNAUTHENTICATED"),
        (Some(app.viewer.as_str()), "FORBIDDEN"),
    ] {
        let body = app.gql_as(token, query, json!({})).await;
        assert_eq!(error_code(&body), code, "{body}");
        assert!(body["data"]["userByEmail"].is_null(), "{body}");
    }
}

async fn an_admin_finds_a_user_by_email_trimmed_and_case_insensitively(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (_, ada) = acme_with_ada(&app).await;
    let query = "query($email: String!) { userByEmail(email: $email) { id email } }";
    for email in ["ada@example.com", "  ADA@Example.COM "] {
        let body = app.gql(query, json!({ "email": email })).await;
        assert_no_errors(&body);
        assert_eq!(
            body["data"]["userByEmail"],
            json!({ "id": ada, "email": "ada@example.com" }),
            "{email:?}"
        );
    }
    let body = app
        .gql(query, json!({ "email": "grace@example.com" }))
        .await;
    assert_no_errors(&body);
    assert!(body["data"]["userByEmail"].is_null(), "{body}");
}

async fn only_admins_find_users_by_a_search_on_their_email(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (acme, _) = acme_with_ada(&app).await;
    app.create_user(&acme, "grace@navy.mil", "Grace Hopper")
        .await;
    app.settle().await;

    let ada = [json!("Ada Lovelace")];
    assert_eq!(
        names_found_by(&app, Some(&app.admin), "example.com").await,
        ada
    );
    assert_eq!(
        names_found_by(&app, Some(&app.admin), "EXAMPLE.com").await,
        ada
    );
    for token in [None, Some(app.viewer.as_str())] {
        assert!(
            names_found_by(&app, token, "example.com").await.is_empty(),
            "{token:?} searched emails"
        );
        assert_eq!(
            names_found_by(&app, token, "HOPPER").await,
            [json!("Grace Hopper")]
        );
    }
}

// ---------------------------------------------------------------------------------------
// Bad tokens on HTTP
// ---------------------------------------------------------------------------------------

async fn a_garbage_token_is_unauthenticated_never_anonymous(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    acme_with_ada(&app).await;
    for garbage in ["Bearer garbage", "Bearer not.a.jwt", "Bearer "] {
        assert_refused_as_unauthenticated(&app, garbage).await;
    }
}

async fn an_expired_token_is_unauthenticated(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    acme_with_ada(&app).await;
    // The same claims with a future `exp` are an admin's.
    let fresh = format!("Bearer {}", admin_token_expiring_in(3600));
    let body = post_with(
        &app,
        Some(&fresh),
        "{ userByEmail(email: \"ada@example.com\") { name } }",
        json!({}),
    )
    .await;
    assert_no_errors(&body);
    assert_eq!(body["data"]["userByEmail"]["name"], "Ada Lovelace");

    for expired_ago in [1, 60, 86_400] {
        assert_refused_as_unauthenticated(
            &app,
            &format!("Bearer {}", admin_token_expiring_in(-expired_ago)),
        )
        .await;
    }
}

async fn a_token_signed_with_another_secret_is_unauthenticated(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    acme_with_ada(&app).await;
    assert_refused_as_unauthenticated(&app, &format!("Bearer {}", admin_token_of_another_secret()))
        .await;
}

async fn a_token_with_an_unknown_role_or_no_expiry_is_unauthenticated(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    acme_with_ada(&app).await;
    let in_an_hour = unix_now() + 3600;
    for claims in [
        json!({ "sub": "test-user", "role": "root", "exp": in_an_hour }),
        json!({ "sub": "test-user", "role": "admin" }),
    ] {
        assert_refused_as_unauthenticated(&app, &format!("Bearer {}", signed(claims))).await;
    }
}

async fn an_authorization_that_is_not_a_bearer_token_is_unauthenticated(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    acme_with_ada(&app).await;
    let admin = app.admin.clone();
    for authorization in [
        "Basic dGVzdDp0ZXN0".to_owned(),
        format!("Token {admin}"),
        admin.clone(),
        "Bearer".to_owned(),
    ] {
        assert_refused_as_unauthenticated(&app, &authorization).await;
    }
}

// ---------------------------------------------------------------------------------------
// Tokens on WebSocket
// ---------------------------------------------------------------------------------------

async fn a_websocket_initialised_with_an_admin_token_streams_emails(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (acme, _) = acme_with_ada(&app).await;
    let payload = user_created_as_seen_over_websocket_by(&app, &app.admin, &acme).await;
    assert!(payload.get("errors").is_none(), "{payload}");
    assert_eq!(
        payload["data"]["userChanged"]["user"],
        json!({ "name": "Grace Hopper", "email": "grace@example.com" })
    );
}

async fn a_websocket_initialised_with_a_viewer_token_streams_null_emails_with_forbidden(
    backend: Backend,
) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (acme, _) = acme_with_ada(&app).await;
    let payload = user_created_as_seen_over_websocket_by(&app, &app.viewer, &acme).await;
    assert_eq!(
        payload["data"]["userChanged"]["user"],
        json!({ "name": "Grace Hopper", "email": null })
    );
    assert_eq!(
        forbidden_paths(&payload),
        [json!(["userChanged", "user", "email"])]
    );
}

async fn a_websocket_initialised_with_a_bad_token_gets_no_connection_ack(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let admin = format!("Bearer {}", app.admin);
    for protocol in ["graphql-transport-ws", "graphql-ws"] {
        for authorization in [Some(admin.as_str()), None] {
            let answer = answer_to_init(&app, protocol, authorization).await;
            assert!(
                answer.is("connection_ack"),
                "{protocol}, {authorization:?}: {answer:?}"
            );
        }
        for (what, authorization) in bad_authorizations() {
            let answer = answer_to_init(&app, protocol, Some(&authorization)).await;
            let refused = matches!(answer, Answer::Closed) || answer.is("connection_error");
            assert!(refused, "{protocol} with {what}: {answer:?}");
        }
    }
}

on_both_databases!(
    every_mutation_is_unauthenticated_for_anonymous_forbidden_for_viewers_and_ok_for_admins,
    an_admin_reads_emails,
    viewers_and_anonymous_callers_get_a_null_email_and_a_forbidden_error_at_its_path,
    user_by_email_is_unauthenticated_for_anonymous_and_forbidden_for_viewers,
    an_admin_finds_a_user_by_email_trimmed_and_case_insensitively,
    only_admins_find_users_by_a_search_on_their_email,
    a_garbage_token_is_unauthenticated_never_anonymous,
    an_expired_token_is_unauthenticated,
    a_token_signed_with_another_secret_is_unauthenticated,
    a_token_with_an_unknown_role_or_no_expiry_is_unauthenticated,
    an_authorization_that_is_not_a_bearer_token_is_unauthenticated,
    a_websocket_initialised_with_an_admin_token_streams_emails,
    a_websocket_initialised_with_a_viewer_token_streams_null_emails_with_forbidden,
    a_websocket_initialised_with_a_bad_token_gets_no_connection_ack,
);
