//! The close codes of `graphql-transport-ws`: 4400 for a message the protocol does not
//! know, 4401 for an operation before the acknowledgement, 4408 for no `connection_init`
//! in time, 4409 for an id already running, 4429 for a second `connection_init` (4403 for a
//! refused one is the auth area's).

use std::time::Duration;

use libtest_mimic::Trial;
use serde_json::{Value, json};

use crate::support::{TestApp, TestDatabase, WsClient, on_both_databases, user_changed};

const PROTOCOL: &str = "graphql-transport-ws";

/// Sends `message` and expects the socket to be closed with `code`; returns the reason.
async fn closed_after(client: &mut WsClient, message: Value, code: u16) -> String {
    client.send(message.clone()).await;
    let (closed_with, reason) = client.close_frame().await;
    assert_eq!(closed_with, code, "after {message}: {reason}");
    reason
}

/// Messages the protocol does not know, or not in its shape.
fn bad_messages() -> Vec<Value> {
    vec![
        json!("not an object"),
        json!({ "no": "type" }),
        json!({ "type": "nonsense" }),
        json!({ "type": "next", "id": "1", "payload": {} }),
        json!({ "type": "connection_ack" }),
        json!({ "type": "subscribe", "id": "1" }),
        json!({ "type": "subscribe", "id": "", "payload": { "query": "{ __typename }" } }),
        json!({ "type": "subscribe", "id": "1", "payload": { "query": 42 } }),
        json!({ "type": "subscribe", "id": 1, "payload": { "query": "{ __typename }" } }),
        json!({ "type": "complete" }),
        json!({ "type": "ping", "payload": "not an object" }),
    ]
}

async fn a_message_the_protocol_does_not_know_is_closed_with_4400(app: TestApp) {
    for message in bad_messages() {
        let mut client = WsClient::connect(&app, Some(&app.admin)).await;
        let reason = closed_after(&mut client, message, 4400).await;
        assert!(reason.starts_with("Invalid message"), "{reason}");
    }
    // Before the acknowledgement too, and for a frame that is no JSON at all.
    let mut client = WsClient::open(&app, PROTOCOL).await;
    closed_after(&mut client, json!({ "type": "nonsense" }), 4400).await;
    let mut client = WsClient::open(&app, PROTOCOL).await;
    client.send_text("{ not json").await;
    let (code, reason) = client.close_frame().await;
    assert_eq!(code, 4400, "{reason}");
}

async fn an_operation_before_the_acknowledgement_is_closed_with_4401(app: TestApp) {
    let mut client = WsClient::open(&app, PROTOCOL).await;
    let subscribe = json!({
        "id": "1", "type": "subscribe", "payload": { "query": "{ __typename }" },
    });
    let reason = closed_after(&mut client, subscribe, 4401).await;
    assert_eq!(reason, "Unauthorized");
}

async fn no_connection_init_in_time_is_closed_with_4408(database: TestDatabase) {
    let app = TestApp::spawn_on(database, |config| {
        config.websocket.init_timeout = Duration::from_millis(300).into();
    })
    .await;
    let mut idle = WsClient::open(&app, PROTOCOL).await;
    let (code, reason) = idle.close_frame().await;
    assert_eq!(
        (code, reason.as_str()),
        (4408, "Connection initialisation timeout")
    );

    // A socket initialised in time outlives the timeout.
    let mut client = WsClient::connect(&app, None).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    client
        .send(json!({ "id": "1", "type": "subscribe", "payload": { "query": "{ __typename }" } }))
        .await;
    assert_eq!(
        client.next_data().await,
        json!({ "data": { "__typename": "Query" } })
    );
}

async fn an_id_already_running_is_closed_with_4409(app: TestApp) {
    let mut client =
        WsClient::subscribed(&app, Some(&app.admin), &user_changed("event"), json!({})).await;
    let again = json!({
        "id": "1", "type": "subscribe",
        "payload": { "query": user_changed("event"), "variables": {} },
    });
    let reason = closed_after(&mut client, again, 4409).await;
    assert_eq!(reason, "Subscriber for 1 already exists");
}

async fn an_id_may_be_used_again_once_its_operation_completed(app: TestApp) {
    let mut client = WsClient::connect(&app, None).await;
    for _ in 0..2 {
        client.subscribe("1", "{ __typename }", json!({})).await;
        assert_eq!(
            client.next_data().await,
            json!({ "data": { "__typename": "Query" } })
        );
        let complete = client.receive().await.expect("a complete");
        assert_eq!(complete, json!({ "id": "1", "type": "complete" }));
    }
    // And once the client completed it.
    client
        .subscribe("2", &user_changed("event"), json!({}))
        .await;
    client.send(json!({ "id": "2", "type": "complete" })).await;
    client.subscribe("2", "{ __typename }", json!({})).await;
    assert_eq!(
        client.next_data().await,
        json!({ "data": { "__typename": "Query" } })
    );
}

async fn a_second_connection_init_is_closed_with_4429(app: TestApp) {
    let mut client = WsClient::connect(&app, Some(&app.admin)).await;
    let init = json!({ "type": "connection_init", "payload": {} });
    let reason = closed_after(&mut client, init, 4429).await;
    assert_eq!(reason, "Too many initialisation requests");
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        a_message_the_protocol_does_not_know_is_closed_with_4400,
        an_operation_before_the_acknowledgement_is_closed_with_4401,
        no_connection_init_in_time_is_closed_with_4408,
        an_id_already_running_is_closed_with_4409,
        an_id_may_be_used_again_once_its_operation_completed,
        a_second_connection_init_is_closed_with_4429,
    )
}
