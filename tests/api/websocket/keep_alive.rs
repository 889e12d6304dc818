//! Pings both ways: the server answers a ping with a pong at any time, pings an
//! acknowledged socket itself, and closes one that stops answering (4408).

use std::time::Duration;

use libtest_mimic::Trial;
use serde_json::json;
use tokio::time::Instant;

use crate::support::{Frame, TestApp, TestDatabase, WsClient, on_both_databases};

async fn a_ping_is_answered_with_a_pong_carrying_its_payload(app: TestApp) {
    let mut client = WsClient::open(&app, "graphql-transport-ws").await;
    for acknowledged in [false, true] {
        client
            .send(json!({ "type": "ping", "payload": { "sent": "now" } }))
            .await;
        let Frame::Message(pong) = client.frame().await else {
            panic!("a pong (acknowledged: {acknowledged})");
        };
        assert_eq!(
            pong,
            json!({ "type": "pong", "payload": { "sent": "now" } })
        );
        client.send(json!({ "type": "ping" })).await;
        let Frame::Message(pong) = client.frame().await else {
            panic!("a pong (acknowledged: {acknowledged})");
        };
        assert_eq!(pong, json!({ "type": "pong" }));
        if !acknowledged {
            client
                .send(json!({ "type": "connection_init", "payload": {} }))
                .await;
            let Frame::Message(ack) = client.frame().await else {
                panic!("an acknowledgement");
            };
            assert_eq!(ack["type"], "connection_ack", "{ack}");
        }
    }
}

async fn the_server_pings_and_closes_a_socket_that_stops_answering(database: TestDatabase) {
    let app = TestApp::spawn_on(database, |config| {
        config.websocket.ping_interval = Duration::from_millis(200).into();
    })
    .await;
    let mut client = WsClient::connect(&app, None).await;
    let answering_until = Instant::now() + Duration::from_millis(1200);
    let mut pings = 0;
    while Instant::now() < answering_until {
        match client.frame().await {
            Frame::Message(message) if message == json!({ "type": "ping" }) => {
                pings += 1;
                client.send(json!({ "type": "pong" })).await;
            }
            other => panic!("only pings while the socket answers them, not {other:?}"),
        }
    }
    assert!(pings >= 3, "{pings} pings in 1.2 s at one per 200 ms");

    // No more pongs: the next ping is the last.
    let (code, reason) = client.close_frame().await;
    assert_eq!((code, reason.as_str()), (4408, "no pong within 200ms"));
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        a_ping_is_answered_with_a_pong_carrying_its_payload,
        the_server_pings_and_closes_a_socket_that_stops_answering,
    )
}
