//! The routes beside GraphQL itself: health, readiness and the offline GraphiQL playground.

use libtest_mimic::Trial;
use regex::Regex;
use serde_json::{Value, json};

use super::content_type;
use crate::support::{TestApp, on_both_databases};

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
        the_playground_is_served_with_only_local_assets,
    )
}
