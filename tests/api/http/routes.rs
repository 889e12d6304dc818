//! The routes beside GraphQL itself: health, readiness and the offline GraphiQL playground.

use std::time::Duration;

use libtest_mimic::Trial;
use regex::Regex;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

use super::content_type;
use crate::support::{Backend, TestApp, on_both_databases, text};

const WAIT: Duration = Duration::from_secs(15);

async fn healthz_answers_200_while_the_process_serves(app: TestApp) {
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
}

async fn readyz_answers_200_with_json_when_the_databases_and_projector_run(app: TestApp) {
    let response = app.get("/readyz").await;
    assert_eq!(response.status().as_u16(), 200);
    let kind = content_type(&response);
    assert!(
        kind.starts_with("application/json"),
        "content type {kind:?}"
    );
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(body, json!({ "status": "ready" }));
}

/// Appends an event no projector can decode (a hand-edited row) to the log of `app`'s
/// database, for the user aggregate in `organization_id`.
async fn append_an_undecodable_event(app: &TestApp, organization_id: &str) {
    let database = app.database();
    let connection = Database::connect(&database.url)
        .await
        .expect("the database opens");
    let payload = json!({ "event": "NoSuchEvent", "organization_id": organization_id });
    let new_id = match database.backend() {
        Backend::Sqlite => "randomblob(16)",
        Backend::Postgres => "gen_random_uuid()",
    };
    // Everything else as a real row has it, so only the payload is wrong.
    let insert = format!(
        "INSERT INTO events (aggregate_type, aggregate_id, aggregate_version, event_type, \
         payload, metadata, recorded_at) \
         SELECT 'user', {new_id}, 1, 'NoSuchEvent', '{payload}', metadata, recorded_at \
         FROM events ORDER BY position DESC LIMIT 1"
    );
    let inserted = connection
        .execute_unprepared(&insert)
        .await
        .expect("the row is inserted");
    assert_eq!(inserted.rows_affected(), 1);
}

async fn readyz_answers_503_naming_the_projector_when_it_cannot_apply_the_log(app: TestApp) {
    let created = app.create_organization("acme", "Acme").await;
    app.settle().await;
    assert_eq!(app.readiness().await.0, 200);

    append_an_undecodable_event(&app, &text(&created["organizationId"])).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (status, body) = app.readiness().await;
        if status == 503 {
            assert_eq!(body["status"], "unavailable", "{body}");
            let reason = body["reason"].as_str().unwrap_or_default();
            assert!(reason.contains("projector"), "the reason: {body}");
            break;
        }
        assert_eq!((status, &body), (200, &json!({ "status": "ready" })));
        assert!(
            tokio::time::Instant::now() < deadline,
            "still ready while the projector cannot apply the log: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Liveness is another matter: the process still serves.
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
}

async fn the_playground_is_served_with_only_local_assets(app: TestApp) {
    let response = app.get("/").await;
    assert_eq!(response.status().as_u16(), 200);
    let kind = content_type(&response);
    assert!(kind.starts_with("text/html"), "content type {kind:?}");
    let page = response.text().await.expect("a page");
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "the page reaches out:\n{page}"
    );
    assert!(
        page.contains("/graphql/ws"),
        "subscriptions are wired to /graphql/ws:\n{page}"
    );

    let reference = Regex::new(r#"(?:src|href)\s*=\s*["']([^"']*)["']"#).expect("a regex");
    let mut assets: Vec<String> = Vec::new();
    for found in reference.captures_iter(&page) {
        let target = &found[1];
        if target.starts_with("data:") {
            continue;
        }
        assert!(
            target.starts_with("/graphiql/"),
            "{target:?} is not a local /graphiql/ asset"
        );
        assets.push(target.to_owned());
    }
    let of_kind = |extension: &str| {
        assets
            .iter()
            .filter(|asset| asset.ends_with(extension))
            .count()
    };
    assert!(
        of_kind(".js") >= 1 && of_kind(".css") >= 1,
        "scripts and a stylesheet: {assets:?}"
    );

    for asset in assets {
        let response = app.get(&asset).await;
        assert_eq!(response.status().as_u16(), 200, "{asset}");
        let kind = content_type(&response);
        let expected = if asset.ends_with(".css") {
            "text/css"
        } else {
            "javascript"
        };
        assert!(kind.contains(expected), "{asset}: content type {kind:?}");
        let size = response.bytes().await.expect("a body").len();
        assert!(size > 1000, "{asset}: only {size} bytes");
    }
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        healthz_answers_200_while_the_process_serves,
        readyz_answers_200_with_json_when_the_databases_and_projector_run,
        readyz_answers_503_naming_the_projector_when_it_cannot_apply_the_log,
        the_playground_is_served_with_only_local_assets,
    )
}
