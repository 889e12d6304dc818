//! Request bodies over 1 MiB (or the configured limit) are refused with 413 and a GraphQL
//! error, whether the client announced the length or streamed the body in chunks; so are
//! WebSocket messages over it, with 1009.

use std::time::Duration;

use libtest_mimic::Trial;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{Backend, TestApp, TestDatabase, WsClient, on_both_databases};

const MIB: usize = 1024 * 1024;
const WAIT: Duration = Duration::from_secs(15);

/// A GraphQL request of about `size` bytes: a small query padded with an extension (the
/// query text itself has a limit of its own, far below the body's).
fn request_of(size: usize) -> String {
    let padding = "#".repeat(size);
    json!({ "query": "{ readModel { position } }", "extensions": { "padding": padding } })
        .to_string()
}

/// The answer must be a GraphQL error: `errors` with a message, and no data.
fn assert_graphql_error(body: &Value) {
    let message = body["errors"][0]["message"].as_str();
    assert!(message.is_some_and(|message| !message.is_empty()), "{body}");
    assert!(body.get("data").is_none_or(Value::is_null), "{body}");
}

async fn a_body_over_one_mib_with_its_length_is_a_413_graphql_error(app: TestApp) {
    let body = request_of(MIB + 1);
    assert!(body.len() > MIB);
    let (status, text) = app.post_raw("application/json", body).await;
    assert_eq!(status, 413, "{text}");
    let answer: Value = serde_json::from_str(&text).expect("a JSON body");
    assert_graphql_error(&answer);

    // Just under the limit is answered.
    let (status, answer) = app
        .post(
            None,
            &[],
            serde_json::from_str(&request_of(MIB - 1024)).expect("JSON"),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert!(
        answer["data"]["readModel"]["position"].is_string(),
        "{answer}"
    );
}

/// POSTs `body` to /graphql in chunks of 64 KiB with no announced length, over a raw
/// connection; returns the status and the response body.
async fn post_chunked(app: &TestApp, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", app.port))
        .await
        .expect("the server accepts");
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        app.port
    );
    stream
        .write_all(head.as_bytes())
        .await
        .expect("the head is sent");
    // The server may answer and stop reading before the whole body is sent.
    for chunk in body.as_bytes().chunks(64 * 1024) {
        let size = format!("{:x}\r\n", chunk.len());
        let sent = async {
            stream.write_all(size.as_bytes()).await?;
            stream.write_all(chunk).await?;
            stream.write_all(b"\r\n").await
        };
        if sent.await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut response = Vec::new();
    let _ = tokio::time::timeout(WAIT, stream.read_to_end(&mut response))
        .await
        .expect("the server answers within the wait");
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"));
    let (_, rest) = response
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no body: {response:?}"));
    (status, rest.to_owned())
}

/// The JSON object in a response body (which may come in chunks of its own).
fn json_in(body: &str) -> Value {
    let start = body
        .find('{')
        .unwrap_or_else(|| panic!("no JSON in {body:?}"));
    let end = body
        .rfind('}')
        .unwrap_or_else(|| panic!("no JSON in {body:?}"));
    serde_json::from_str(&body[start..=end]).unwrap_or_else(|error| panic!("{error}: {body:?}"))
}

async fn a_chunked_body_over_one_mib_is_a_413_graphql_error(app: TestApp) {
    let (status, body) = post_chunked(&app, &request_of(2 * MIB)).await;
    assert_eq!(status, 413, "{body}");
    assert_graphql_error(&json_in(&body));

    // The same way, a small request is answered.
    let (status, body) = post_chunked(&app, &request_of(10)).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        json_in(&body)["data"]["readModel"]["position"].is_string(),
        "{body}"
    );
}

async fn the_binary_takes_its_body_limit_from_the_environment(database: TestDatabase) {
    let app = TestApp::spawn_process(database, &[("ROSTERQL_MAX_BODY_BYTES", "4096")]).await;
    let (status, text) = app.post_raw("application/json", request_of(4096)).await;
    assert_eq!(status, 413, "{text}");
    let answer: Value = serde_json::from_str(&text).expect("a JSON body");
    assert_graphql_error(&answer);
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("4096")),
        "{answer}"
    );
    let (status, text) = app.post_raw("application/json", request_of(3000)).await;
    assert_eq!(status, 200, "{text}");

    let mut client = WsClient::connect(&app, None).await;
    let query = format!("{{ readModel {{ position }} }} #{}", "x".repeat(4096));
    client.subscribe("1", &query, json!({})).await;
    let (code, _) = client.close_frame().await;
    assert_eq!(
        code, 1009,
        "a message over the limit closes the socket as too big"
    );
}

pub(super) fn trials() -> Vec<Trial> {
    let mut trials = on_both_databases!(
        a_body_over_one_mib_with_its_length_is_a_413_graphql_error,
        a_chunked_body_over_one_mib_is_a_413_graphql_error,
    );
    trials.extend(crate::support::harness::on_backends!(
        [Backend::Sqlite];
        the_binary_takes_its_body_limit_from_the_environment,
    ));
    trials
}
