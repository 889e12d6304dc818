//! A flood of `subscribe` messages on one socket: the server runs what the socket may hold
//! and the caller's budget allows, answers every other one with a coded `error` for its id,
//! keeps the socket, and answers the next request.

use std::collections::HashMap;

use libtest_mimic::Trial;
use serde_json::json;

use crate::support::{TestApp, WsClient, assert_no_errors, on_both_databases, user_changed};

const FLOOD: usize = 2_000;

async fn a_flood_of_subscribes_gets_coded_errors_and_the_server_serves_on(app: TestApp) {
    let mut client = WsClient::connect(&app, None).await;
    for id in 0..FLOOD {
        client
            .subscribe(&id.to_string(), &user_changed("event"), json!({}))
            .await;
    }
    let mut codes: HashMap<String, usize> = HashMap::new();
    for _ in 0..FLOOD - 100 {
        let answer = client
            .receive()
            .await
            .expect("an answer for each refused subscribe");
        assert_eq!(answer["type"], "error", "{answer}");
        let code = answer["payload"][0]["extensions"]["code"].as_str();
        *codes.entry(code.unwrap_or("none").to_owned()).or_default() += 1;
    }
    assert_eq!(
        codes
            .keys()
            .filter(|code| !["TOO_MANY_SUBSCRIPTIONS", "RATE_LIMITED"].contains(&code.as_str()))
            .count(),
        0,
        "{codes:?}"
    );

    // The socket is kept, and runs the 100 it holds: a change reaches it.
    app.organization_with_user().await;
    let change = client.next_change("userChanged").await;
    assert_eq!(change["event"], "UserCreated", "{change}");
    let body = app.gql("{ organizations { totalCount } }", json!({})).await;
    assert_no_errors(&body);
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(a_flood_of_subscribes_gets_coded_errors_and_the_server_serves_on)
}
