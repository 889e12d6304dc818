//! What one socket and one caller may hold: at most so many operations per socket (one more
//! is refused with TOO_MANY_SUBSCRIPTIONS, the socket kept), at most so many sockets per
//! caller (by token subject once `connection_init` names one, else by client address).

use std::time::Duration;

use libtest_mimic::Trial;
use serde_json::json;

use crate::support::{Frame, TestApp, TestDatabase, WsClient, on_both_databases, user_changed};

async fn a_socket_runs_at_most_the_configured_operations(database: TestDatabase) {
    let app = TestApp::spawn_on(database, |config| {
        config.websocket.max_subscriptions = 2;
    })
    .await;
    let mut client = WsClient::connect(&app, None).await;
    client
        .subscribe("1", &user_changed("event"), json!({}))
        .await;
    client
        .subscribe("2", &user_changed("event"), json!({}))
        .await;
    client
        .subscribe("3", &user_changed("event"), json!({}))
        .await;
    let refusal = client.receive().await.expect("a refusal");
    assert_eq!(refusal["type"], "error", "{refusal}");
    assert_eq!(refusal["id"], "3", "{refusal}");
    assert_eq!(
        refusal["payload"][0]["extensions"]["code"], "TOO_MANY_SUBSCRIPTIONS",
        "{refusal}"
    );

    // The socket stays open: once one operation is completed, another may run.
    client.send(json!({ "id": "1", "type": "complete" })).await;
    client.subscribe("3", "{ __typename }", json!({})).await;
    assert_eq!(
        client.next_data().await,
        json!({ "data": { "__typename": "Query" } })
    );
}

const PROTOCOL: &str = "graphql-transport-ws";

/// A `graphql-transport-ws` socket, once the server admits one (the places of sockets just
/// closed are given back when the server notices).
async fn admitted(app: &TestApp) -> WsClient {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match WsClient::try_open(app, PROTOCOL).await {
            Ok(client) => return client,
            Err(status) => assert!(
                tokio::time::Instant::now() < deadline,
                "the upgrade is still refused with {status}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Whether a socket initialised with `token` is acknowledged.
async fn acknowledged(app: &TestApp, token: &str) -> bool {
    let mut client = admitted(app).await;
    let init = json!({ "Authorization": format!("Bearer {token}") });
    client
        .send(json!({ "type": "connection_init", "payload": init }))
        .await;
    client
        .receive()
        .await
        .is_some_and(|answer| answer["type"] == "connection_ack")
}

async fn a_caller_holds_at_most_the_configured_sockets(database: TestDatabase) {
    let app = TestApp::spawn_on(database, |config| {
        config.websocket.max_connections_per_caller = 2;
    })
    .await;
    // By token subject: the admin's and the viewer's tokens are both test-user's.
    let first = WsClient::connect(&app, Some(&app.admin)).await;
    let second = WsClient::connect(&app, Some(&app.viewer)).await;
    let mut third = WsClient::open(&app, PROTOCOL).await;
    let init = json!({ "Authorization": format!("Bearer {}", app.admin) });
    third
        .send(json!({ "type": "connection_init", "payload": init }))
        .await;
    let (code, reason) = third.close_frame().await;
    assert_eq!(code, 1013, "{reason}");
    assert!(reason.starts_with("TOO_MANY_CONNECTIONS"), "{reason}");
    drop(third);

    // By address until connection_init names a subject: the sockets above count for
    // test-user, not for 127.0.0.1.
    let anonymous = admitted(&app).await;
    let not_yet_initialised = admitted(&app).await;
    assert_eq!(WsClient::try_open(&app, PROTOCOL).await.err(), Some(429));
    drop((anonymous, not_yet_initialised));

    // A closed socket gives its place back.
    drop(first);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !acknowledged(&app, &app.admin).await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the closed socket's place was never given back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(second);
}

async fn a_legacy_socket_beyond_its_operations_gets_an_error_and_is_closed(database: TestDatabase) {
    let app = TestApp::spawn_on(database, |config| {
        config.websocket.max_subscriptions = 2;
    })
    .await;
    let mut client = WsClient::connect_with(&app, "graphql-ws", None).await;
    let start = |id: &str, query: &str| json!({ "id": id, "type": "start", "payload": { "query": query, "variables": {} } });
    // An operation that completed, or that the client stopped, no longer counts.
    client.send(start("1", "{ __typename }")).await;
    assert_eq!(
        client.next_data().await,
        json!({ "data": { "__typename": "Query" } })
    );
    assert_eq!(
        client.receive().await.expect("a complete")["type"],
        "complete"
    );
    client.send(start("2", &user_changed("event"))).await;
    client.send(json!({ "id": "2", "type": "stop" })).await;
    assert_eq!(
        client.receive().await.expect("a complete")["type"],
        "complete"
    );
    client.send(start("3", &user_changed("event"))).await;
    client.send(start("4", &user_changed("event"))).await;

    client.send(start("5", &user_changed("event"))).await;
    let refusal = client.receive().await.expect("a refusal");
    assert_eq!(refusal["type"], "error", "{refusal}");
    assert_eq!(refusal["id"], "5", "{refusal}");
    assert_eq!(
        refusal["payload"][0]["extensions"]["code"], "TOO_MANY_SUBSCRIPTIONS",
        "{refusal}"
    );
    let (code, reason) = client.close_frame().await;
    assert_eq!(code, 1008, "{reason}");
}

/// Replayed changes per subscription, and subscriptions, in the slow listener's socket:
/// megabytes, more than the system's socket buffers hold.
const CHANGES: usize = 30;
const SUBSCRIPTIONS: usize = 500;

async fn a_listener_too_slow_to_keep_up_is_closed_with_1013(database: TestDatabase) {
    // A process of its own: its close counter counts only this socket.
    let app = TestApp::spawn_process(
        database,
        &[
            ("ROSTERQL_WS_SEND_QUEUE", "1"),
            ("ROSTERQL_WS_SEND_TIMEOUT", "2s"),
            ("ROSTERQL_WS_MAX_SUBSCRIPTIONS", "1000"),
        ],
    )
    .await;
    let after = app.read_position().await;
    for number in 0..CHANGES {
        let name = format!("Organization {number} {}", "x".repeat(180));
        app.create_organization(&format!("org-{number}"), &name)
            .await;
    }
    app.settle().await;

    let mut listener = WsClient::open_with_small_receive_buffer(&app).await;
    listener
        .send(json!({ "type": "connection_init", "payload": {} }))
        .await;
    let query = "subscription($after: String) { organizationChanged(after: $after) {
        kind organizationId event position organization { id slug name version }
        again: organization { name } } }";
    for id in 0..SUBSCRIPTIONS {
        listener
            .subscribe(&id.to_string(), query, json!({ "after": after }))
            .await;
    }

    // Not reading: the server gives up on the socket…
    let closes = "rosterql_websocket_closes_total";
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while app.counter(closes, &[("code", "1013")]).await < 1.0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "a listener that reads nothing was never closed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // …and says why, behind what it had sent (read now as fast as it comes).
    listener.widen_receive_buffer();
    let mut results = 0;
    let (code, reason) = loop {
        match listener.frame().await {
            Frame::Message(message) if message["type"] == "next" => results += 1,
            Frame::Message(message) => assert!(
                message["type"] == "connection_ack" || message["type"] == "ping",
                "{message}"
            ),
            Frame::Closed(code, reason) => break (code, reason),
            Frame::Dropped(error) => panic!("dropped after {results} results: {error}"),
        }
    };
    assert_eq!(code, 1013, "{reason}");
    assert!(reason.starts_with("SLOW_LISTENER"), "{reason}");
    assert!(
        results < CHANGES * SUBSCRIPTIONS,
        "all {results} results arrived: the listener was not behind"
    );
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        a_socket_runs_at_most_the_configured_operations,
        a_caller_holds_at_most_the_configured_sockets,
        a_legacy_socket_beyond_its_operations_gets_an_error_and_is_closed,
        a_listener_too_slow_to_keep_up_is_closed_with_1013,
    )
}
