//! Events the projector cannot apply, among good traffic: an event no version can decode
//! (a hand-edited row) and one whose read row is missing. Each is retried, then parked with
//! its aggregate's later events; the events before it in the same batch and every other
//! aggregate go on. Parking shows in `parkedEvents`, `readModel`, `/readyz` and the metrics,
//! and `retryParkedEvents` restores the aggregates once the causes are fixed.

use std::time::Duration;

use libtest_mimic::Trial;
use serde_json::{Value, json};

use crate::support::hold::HoldableApp;
use crate::support::{
    TestApp, TestDatabase, WsClient, error_code, execute_sql, on_both_databases, rosterql_output,
    text,
};

const PARKED: &str = "{ readModel { parkedEvents } parkedEvents(first: 10) { totalCount \
    nodes { position aggregateId event error attempts parkedAt } } }";
const RETRY: &str =
    "mutation($id: ID) { retryParkedEvents(aggregateId: $id) { retried stillParked } }";
const CHANGES: &str = "subscription($organizationId: ID, $after: String) { \
    userChanged(organizationId: $organizationId, after: $after) { userId event user { name } } }";
/// How often the projector tries an event before it parks it.
const ATTEMPTS: i64 = 4;

/// Appends to the log on `url` an event of user `user_id` that no version can decode, with
/// a version no command will reach; everything else as a real row of the log has it.
async fn append_an_undecodable_event(app: &TestApp, url: &str, user_id: &str) {
    let id = app.database().backend().id_literal(user_id);
    let sql = format!(
        "INSERT INTO events (aggregate_type, aggregate_id, aggregate_version, event_type, \
         payload, metadata, recorded_at) \
         SELECT 'user', {id}, 1000, 'NoSuchEvent', '{{\"event\": \"NoSuchEvent\"}}', \
         metadata, recorded_at FROM events ORDER BY position DESC LIMIT 1"
    );
    assert_eq!(execute_sql(url, &sql).await, 1);
}

async fn rename(app: &TestApp, id: &str, version: i64, name: &str) {
    let input = json!({ "id": id, "expectedVersion": version, "name": name });
    app.mutate("renameUser", input, "version").await;
}

async fn parked_events(app: &TestApp) -> (Value, Vec<Value>) {
    let body = app.gql(PARKED, json!({})).await;
    let nodes = body["data"]["parkedEvents"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("parked events: {body}"))
        .clone();
    (body["data"].clone(), nodes)
}

fn id_of(payload: &Value) -> String {
    text(&payload["userId"]).to_owned()
}

async fn unappliable_events_park_their_aggregates_and_a_retry_after_the_fix_restores_them(
    database: TestDatabase,
) {
    let app = HoldableApp::start(database, &[]).await;
    let (organization_id, ada) = app.organization_with_user().await;
    let ada = id_of(&ada);
    let grace = id_of(
        &app.create_user(&organization_id, "grace@example.com", "Grace")
            .await,
    );
    let linus = id_of(
        &app.create_user(&organization_id, "linus@example.com", "Linus")
            .await,
    );
    app.settle().await;
    let backend = app.database().backend();
    let command_url = app.database().url.clone();
    let read_url = app.read_url().to_owned();
    // Linus's read row is lost.
    let linus_row = format!(
        "DELETE FROM user_profiles WHERE id = {}",
        backend.id_literal(&linus)
    );
    assert_eq!(execute_sql(&read_url, &linus_row).await, 1);

    let before = app.read_position().await;
    // All of this reaches the projector at once, in one batch read.
    let hold = app.hold().await;
    rename(&app, &grace, 1, "Grace 2").await;
    append_an_undecodable_event(&app, &command_url, &ada).await;
    rename(&app, &ada, 1, "Ada 2").await;
    rename(&app, &linus, 1, "Linus 2").await;
    rename(&app, &linus, 2, "Linus 3").await;
    rename(&app, &grace, 2, "Grace 3").await;
    hold.release().await;
    app.settle().await;

    // The other aggregate went on, before and after the bad events; the bad ones did not.
    assert_eq!(app.user_name(&grace).await, "Grace 3");
    assert_eq!(
        app.user_name(&ada).await,
        "Ada Lovelace",
        "her rename waits behind"
    );
    let (data, parked) = parked_events(&app).await;
    assert_eq!(data["readModel"]["parkedEvents"], 4, "{data}");
    assert_eq!(data["parkedEvents"]["totalCount"], 4, "{data}");
    let summary: Vec<(String, String, i64)> = parked
        .iter()
        .map(|node| {
            let aggregate = text(&node["aggregateId"]).to_owned();
            (
                aggregate,
                text(&node["event"]).to_owned(),
                node["attempts"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (ada.clone(), "NoSuchEvent".to_owned(), ATTEMPTS),
            (ada.clone(), "UserRenamed".to_owned(), 0),
            (linus.clone(), "UserRenamed".to_owned(), ATTEMPTS),
            (linus.clone(), "UserRenamed".to_owned(), 0),
        ],
        "{data}"
    );
    let error = |n: usize| text(&parked[n]["error"]).to_owned();
    assert!(error(0).contains("cannot decode"), "{}", error(0));
    assert!(error(1).contains("waits behind"), "{}", error(1));
    assert!(
        error(2).contains("user_profiles has no row"),
        "{}",
        error(2)
    );
    assert!(parked.iter().all(|node| node["parkedAt"].is_string()));

    // Operators see it: a degraded (still serving) instance, a metric, and the list.
    let (status, readiness) = app.readiness().await;
    assert_eq!((status, &readiness["status"]), (200, &json!("degraded")));
    assert!(
        text(&readiness["reason"]).contains("parked 4 event"),
        "{readiness}"
    );
    let parked_total = app.counter("rosterql_projector_parked_events_total", &[]);
    assert_eq!(parked_total.await, 4.0);

    // A listener resuming from before them gets the changes made, not the parked events.
    let variables = json!({ "organizationId": organization_id, "after": before });
    let mut listener = WsClient::subscribed(&app, Some(&app.admin), CHANGES, variables).await;
    let mut seen = Vec::new();
    for _ in 0..2 {
        let change = listener.next_change("userChanged").await;
        seen.push((
            text(&change["userId"]).to_owned(),
            text(&change["event"]).to_owned(),
        ));
    }
    rename(&app, &grace, 3, "Grace 4").await;
    let live = listener.next_change("userChanged").await;
    seen.push((
        text(&live["userId"]).to_owned(),
        text(&live["user"]["name"]).to_owned(),
    ));
    let renamed = "UserRenamed".to_owned();
    assert_eq!(
        seen,
        [
            (grace.clone(), renamed.clone()),
            (grace.clone(), renamed),
            (grace.clone(), "Grace 4".to_owned())
        ]
    );

    // Retried before the cause is fixed, an event stays parked, one attempt more.
    let retry = app.gql(RETRY, json!({ "id": linus })).await;
    assert_eq!(
        retry["data"]["retryParkedEvents"],
        json!({ "retried": 0, "stillParked": 2 }),
        "{retry}"
    );
    let (_, parked) = parked_events(&app).await;
    assert_eq!(parked[2]["attempts"], ATTEMPTS + 1, "{parked:?}");

    // The fixes: the event's row is repaired, the lost read row is restored from the log.
    let repaired_event = format!(
        "UPDATE events SET event_type = 'UserRenamed', \
         payload = '{{\"organization_id\": \"{organization_id}\", \"event\": \"UserRenamed\", \
         \"name\": \"Ada Fixed\"}}' WHERE aggregate_version = 1000"
    );
    assert_eq!(execute_sql(&command_url, &repaired_event).await, 1);
    let read = (read_url != command_url).then_some(read_url.as_str());
    let repair = rosterql_output(&command_url, read, &["verify-projections", "--repair"]).await;
    let printed = String::from_utf8_lossy(&repair.stdout);
    assert_eq!(repair.status.code(), Some(0), "{printed}");
    assert!(
        printed.contains(&format!("user_profiles {linus}: missing")),
        "the lost row is found: {printed}"
    );

    let retry = app.gql(RETRY, json!({})).await;
    assert_eq!(
        retry["data"]["retryParkedEvents"],
        json!({ "retried": 4, "stillParked": 0 }),
        "{retry}"
    );
    assert_eq!(app.user_name(&ada).await, "Ada 2");
    assert_eq!(app.user_name(&linus).await, "Linus 3");
    let (data, _) = parked_events(&app).await;
    assert_eq!(data["readModel"]["parkedEvents"], 0, "{data}");
    assert_eq!(app.readiness().await, (200, json!({ "status": "ready" })));
    // What the read side holds now is what the log says.
    let verified = rosterql_output(&command_url, read, &["verify-projections"]).await;
    assert_eq!(
        verified.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
    // And the projector goes on with the restored aggregates.
    rename(&app, &linus, 3, "Linus 4").await;
    app.settle().await;
    assert_eq!(app.user_name(&linus).await, "Linus 4");
}

async fn readyz_is_503_while_events_are_parked_when_so_configured(database: TestDatabase) {
    let app = TestApp::spawn_on(database, |config| {
        config.parked_events_readiness = rosterql::app::ParkedEventsReadiness::Unavailable;
    })
    .await;
    let (_, ada) = app.organization_with_user().await;
    app.settle().await;
    assert_eq!(app.readiness().await.0, 200);
    let url = app.database().url.clone();
    append_an_undecodable_event(&app, &url, &id_of(&ada)).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let (status, body) = app.readiness().await;
        if status == 503 {
            assert_eq!(body["status"], "unavailable", "{body}");
            assert!(text(&body["reason"]).contains("parked 1 event"), "{body}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still ready with a parked event: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Liveness is another matter: the process still serves.
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
}

async fn parked_events_are_for_admins_and_a_retry_names_a_valid_aggregate(app: TestApp) {
    let viewer = app.gql_as(Some(&app.viewer), PARKED, json!({})).await;
    assert_eq!(error_code(&viewer), "FORBIDDEN", "{viewer}");
    let anonymous = app.gql_as(None, RETRY, json!({})).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED", "{anonymous}");
    let bad_id = app.gql(RETRY, json!({ "id": "not-an-id" })).await;
    assert_eq!(error_code(&bad_id), "BAD_USER_INPUT", "{bad_id}");
    assert!(
        text(&bad_id["errors"][0]["message"]).contains("aggregateId"),
        "{bad_id}"
    );
    // Nothing parked: a retry has nothing to do.
    let nothing = app.gql(RETRY, json!({})).await;
    assert_eq!(
        nothing["data"]["retryParkedEvents"],
        json!({ "retried": 0, "stillParked": 0 }),
        "{nothing}"
    );
}

pub(super) fn trials() -> Vec<Trial> {
    [
        on_both_databases!(
            unappliable_events_park_their_aggregates_and_a_retry_after_the_fix_restores_them
        ),
        on_both_databases!(readyz_is_503_while_events_are_parked_when_so_configured),
        on_both_databases!(parked_events_are_for_admins_and_a_retry_names_a_valid_aggregate),
    ]
    .into_iter()
    .flatten()
    .collect()
}
