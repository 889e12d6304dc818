//! The HTTP routes beside GraphQL itself (health, readiness, metrics, the offline GraphiQL
//! playground) and GraphQL over HTTP's edges: GET, batches and bodies that are not JSON.

use libtest_mimic::Trial;
use regex::Regex;
use serde_json::{Value, json};

use crate::support::{TestApp, assert_no_errors, error_code, on_both_databases};

const ORGANIZATION_BY_SLUG: &str = "query($slug: String) { organization(slug: $slug) { id name } }";
const USER_BY_ID: &str = "query($id: ID!) { user(id: $id) { id name } }";

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.client
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .expect("the server answers")
}

fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// A GraphQL request body (one operation of a batch).
fn operation(query: &str, variables: Value) -> Value {
    json!({ "query": query, "variables": variables })
}

fn slug_lookup(slug: &str) -> Value {
    operation(ORGANIZATION_BY_SLUG, json!({ "slug": slug }))
}

// ---------------------------------------------------------------------------------------
// Health, readiness, metrics

async fn healthz_answers_200_while_the_process_serves(app: TestApp) {
    assert_eq!(get(&app, "/healthz").await.status().as_u16(), 200);
}

async fn readyz_answers_200_with_json_when_the_databases_and_projector_run(app: TestApp) {
    let response = get(&app, "/readyz").await;
    assert_eq!(response.status().as_u16(), 200);
    let kind = content_type(&response);
    assert!(
        kind.starts_with("application/json"),
        "content type {kind:?}"
    );
    let body: Value = response.json().await.expect("a JSON body");
    assert!(body.is_object(), "{body}");
}

/// The sum of the samples of counter `name` whose labels include `labels`.
fn counter(metrics: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    metrics
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, series_labels) = series.split_once('{').unwrap_or((series, ""));
            let wanted = metric == name
                && labels
                    .iter()
                    .all(|(label, value)| series_labels.contains(&format!("{label}=\"{value}\"")));
            if wanted {
                value.parse::<f64>().ok()
            } else {
                None
            }
        })
        .sum()
}

async fn scrape(app: &TestApp) -> String {
    let response = get(app, "/metrics").await;
    assert_eq!(response.status().as_u16(), 200);
    let kind = content_type(&response);
    assert!(
        kind.starts_with("text/plain"),
        "Prometheus text format, not {kind:?}"
    );
    response.text().await.expect("a text body")
}

const HEALTHZ: [(&str, &str); 2] = [("route", "/healthz"), ("status", "200")];
const CREATE_USER_OK: [(&str, &str); 2] = [("command", "createUser"), ("outcome", "OK")];
const CACHE_HIT: [(&str, &str); 1] = [("outcome", "hit")];
const CACHE_MISS: [(&str, &str); 1] = [("outcome", "miss")];

/// GET /healthz, create an organization and a user, read the user twice and an unknown
/// user once: every kind of counted event at least once.
async fn count_one_of_everything(app: &TestApp) {
    assert_eq!(get(app, "/healthz").await.status().as_u16(), 200);
    let (_, created) = app.organization_with_user().await;
    for id in [
        &created["userId"],
        &created["userId"],
        &json!(uuid::Uuid::new_v4().to_string()),
    ] {
        let body = app.gql_as(None, USER_BY_ID, json!({ "id": id })).await;
        assert_no_errors(&body);
    }
}

/// The process's first scrape must show what happened before it, as a standalone server's
/// first Prometheus scrape would. (Metrics are per process: when another test scraped
/// first, this one cannot tell; run alone, it can.)
async fn the_metrics_count_what_happened_before_the_first_scrape(app: TestApp) {
    count_one_of_everything(&app).await;
    let metrics = scrape(&app).await;
    assert!(
        counter(&metrics, "rosterql_http_requests_total", &HEALTHZ) >= 1.0,
        "{metrics}"
    );
    assert!(
        counter(&metrics, "rosterql_commands_total", &CREATE_USER_OK) >= 1.0,
        "{metrics}"
    );
    assert!(
        counter(&metrics, "rosterql_cache_requests_total", &CACHE_HIT) >= 1.0,
        "{metrics}"
    );
    assert!(
        counter(&metrics, "rosterql_cache_requests_total", &CACHE_MISS) >= 1.0,
        "{metrics}"
    );
}

/// Counters only grow, and other tests share the process's recorder: each must grow by at
/// least what this test did.
async fn the_metrics_count_requests_commands_and_cache_hits_and_misses(app: TestApp) {
    let before = scrape(&app).await;
    count_one_of_everything(&app).await;
    let after = scrape(&app).await;
    let grew = |name: &str, labels: &[(&str, &str)]| {
        counter(&after, name, labels) - counter(&before, name, labels)
    };
    assert!(
        grew("rosterql_http_requests_total", &HEALTHZ) >= 1.0,
        "{after}"
    );
    assert!(
        grew("rosterql_http_requests_total", &[("route", "/metrics")]) >= 1.0,
        "{after}"
    );
    assert!(
        grew("rosterql_commands_total", &CREATE_USER_OK) >= 1.0,
        "{after}"
    );
    assert!(
        grew("rosterql_cache_requests_total", &CACHE_HIT) >= 1.0,
        "reading a user twice hits: {after}"
    );
    assert!(
        grew("rosterql_cache_requests_total", &CACHE_MISS) >= 1.0,
        "an unknown user misses: {after}"
    );
}

// ---------------------------------------------------------------------------------------
// GraphiQL

async fn the_playground_is_served_with_only_local_assets(app: TestApp) {
    let response = get(&app, "/").await;
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
        let response = get(&app, &asset).await;
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

// ---------------------------------------------------------------------------------------
// GraphQL over HTTP

async fn graphql_over_get_answers_a_query(app: TestApp) {
    let created = app.create_organization("acme", "Acme").await;
    let variables = json!({ "slug": "acme" }).to_string();
    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[
            ("query", ORGANIZATION_BY_SLUG),
            ("variables", variables.as_str()),
        ])
        .send()
        .await
        .expect("the server answers");
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.expect("a JSON body");
    assert_no_errors(&body);
    assert_eq!(
        body["data"]["organization"]["id"], created["organizationId"],
        "{body}"
    );
    assert_eq!(body["data"]["organization"]["name"], "Acme", "{body}");
}

async fn a_batch_of_two_queries_answers_both_in_order(app: TestApp) {
    let (organization_id, created) = app.organization_with_user().await;
    let batch = json!([
        slug_lookup("acme"),
        operation(USER_BY_ID, json!({ "id": created["userId"] }))
    ]);
    let (status, body) = app.post(None, &[], batch).await;
    assert_eq!(status, 200, "{body}");
    let answers = body
        .as_array()
        .unwrap_or_else(|| panic!("a batch answers with an array: {body}"));
    assert_eq!(answers.len(), 2, "{body}");
    answers.iter().for_each(assert_no_errors);
    assert_eq!(
        answers[0]["data"]["organization"]["id"],
        organization_id.as_str()
    );
    assert_eq!(answers[1]["data"]["user"]["id"], created["userId"]);
    assert_eq!(answers[1]["data"]["user"]["name"], created["user"]["name"]);
}

async fn a_batch_of_ten_is_answered_and_a_batch_of_eleven_is_refused_unrun(app: TestApp) {
    let created = app.create_organization("acme", "Acme").await;
    let slugs: Vec<&str> = (0..10)
        .map(|index| if index % 2 == 0 { "acme" } else { "nobody" })
        .collect();

    let batch: Vec<Value> = slugs.iter().map(|slug| slug_lookup(slug)).collect();
    let (status, body) = app.post(None, &[], Value::Array(batch.clone())).await;
    assert_eq!(status, 200, "{body}");
    let answers = body
        .as_array()
        .unwrap_or_else(|| panic!("a batch answers with an array: {body}"));
    assert_eq!(answers.len(), slugs.len(), "{body}");
    for (answer, slug) in answers.iter().zip(&slugs) {
        assert_no_errors(answer);
        let expected = if *slug == "acme" {
            created["organizationId"].clone()
        } else {
            Value::Null
        };
        assert_eq!(
            answer["data"]["organization"]["id"], expected,
            "{slug}: {answer}"
        );
    }

    // The eleventh operation would create an organization, were it run.
    let mut eleven = batch;
    eleven.push(operation(
        r#"mutation { createOrganization(input: { slug: "eleventh", name: "Eleventh" }) { organizationId } }"#,
        json!({}),
    ));
    let (status, body) = app.post(Some(&app.admin), &[], Value::Array(eleven)).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert!(
        body.get("data").is_none_or(Value::is_null),
        "a refused batch runs nothing: {body}"
    );
    assert!(
        (400..500).contains(&status) || status == 200,
        "status {status}"
    );
    app.settle().await;
    let body = app
        .gql(ORGANIZATION_BY_SLUG, json!({ "slug": "eleventh" }))
        .await;
    assert_eq!(
        body["data"]["organization"],
        Value::Null,
        "a refused batch ran: {body}"
    );
}

async fn a_body_that_is_not_json_is_a_client_error_never_a_server_error(app: TestApp) {
    for (content_type, body) in [
        ("application/json", "{ this is not json"),
        ("application/json", ""),
        ("application/json", "42"),
        ("application/json", "[1, 2]"),
        ("text/plain", "{ readModel { position } }"),
    ] {
        let response = app
            .client
            .post(format!("{}/graphql", app.address))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .expect("the server answers");
        let status = response.status().as_u16();
        assert!(
            (400..500).contains(&status),
            "{content_type} {body:?}: status {status}"
        );
    }
}

pub(crate) fn trials() -> Vec<Trial> {
    on_both_databases!(
        healthz_answers_200_while_the_process_serves,
        readyz_answers_200_with_json_when_the_databases_and_projector_run,
        the_metrics_count_what_happened_before_the_first_scrape,
        the_metrics_count_requests_commands_and_cache_hits_and_misses,
        the_playground_is_served_with_only_local_assets,
        graphql_over_get_answers_a_query,
        a_batch_of_two_queries_answers_both_in_order,
        a_batch_of_ten_is_answered_and_a_batch_of_eleven_is_refused_unrun,
        a_body_that_is_not_json_is_a_client_error_never_a_server_error,
    )
}
