//! GraphQL over HTTP's edges: GET answers queries and refuses mutations (a link must never
//! write), batches are answered in order up to ten, and bodies that are not JSON are client
//! errors.

use libtest_mimic::Trial;
use serde_json::{Value, json};

use super::USER_BY_ID;
use crate::support::{TestApp, assert_no_errors, error_code, on_both_databases};

const ORGANIZATION_BY_SLUG: &str = "query($slug: String) { organization(slug: $slug) { id name } }";

/// A GraphQL request body (one operation of a batch).
fn operation(query: &str, variables: Value) -> Value {
    json!({ "query": query, "variables": variables })
}

fn slug_lookup(slug: &str) -> Value {
    operation(ORGANIZATION_BY_SLUG, json!({ "slug": slug }))
}

async fn get(app: &TestApp, query: &str) -> (u16, Option<String>, Value) {
    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", query)])
        .bearer_auth(&app.admin)
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    let allow = response
        .headers()
        .get("allow")
        .map(|value| value.to_str().expect("ASCII").to_owned());
    (status, allow, response.json().await.expect("a JSON body"))
}

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

async fn a_mutation_over_get_is_refused_and_writes_nothing(app: TestApp) {
    let head = "{ organizations { totalCount } readModel { headPosition } }";
    let (status, _, before) = get(&app, head).await;
    assert_eq!(status, 200);
    assert_no_errors(&before);

    let (status, allow, body) = get(
        &app,
        r#"mutation { createOrganization(input: {slug: "via-get", name: "X"}) { version } }"#,
    )
    .await;
    assert_eq!((status, allow.as_deref()), (405, Some("POST")), "{body}");
    assert_eq!(error_code(&body), "BAD_USER_INPUT");

    let (_, _, after) = get(&app, head).await;
    assert_eq!(after, before, "nothing was written");
    assert_eq!(after["data"]["organizations"]["totalCount"], 0);
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
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert!(
        body.get("data").is_none_or(Value::is_null),
        "a refused batch runs nothing: {body}"
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

/// Words a JSON parser's message carries, which a client error must not pass on.
const PARSER_DETAIL: [&str; 4] = ["line", "column", "expected", "serde"];

async fn a_body_that_is_not_a_graphql_request_is_a_400_bad_user_input(app: TestApp) {
    for body in [
        "{ this is not json",
        "",
        "42",
        "[1, 2]",
        "{\"query\": 42}",
        "null",
    ] {
        let (status, text) = app.post_raw("application/json", body).await;
        assert_eq!(status, 400, "{body:?}: {text}");
        let answer: Value = serde_json::from_str(&text)
            .unwrap_or_else(|error| panic!("{body:?}: not a JSON answer ({error}): {text}"));
        assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{body:?}: {answer}");
        let message = answer["errors"][0]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("{body:?}: no message: {answer}"))
            .to_lowercase();
        for detail in PARSER_DETAIL {
            assert!(
                !message.contains(detail),
                "{body:?}: the message passes on the parser's {detail:?}: {message:?}"
            );
        }
    }
}

async fn a_body_of_the_wrong_content_type_is_a_client_error(app: TestApp) {
    let (status, _) = app
        .post_raw("text/plain", "{ readModel { position } }")
        .await;
    assert!((400..500).contains(&status), "text/plain: status {status}");
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        graphql_over_get_answers_a_query,
        a_mutation_over_get_is_refused_and_writes_nothing,
        a_batch_of_two_queries_answers_both_in_order,
        a_batch_of_ten_is_answered_and_a_batch_of_eleven_is_refused_unrun,
        a_body_that_is_not_a_graphql_request_is_a_400_bad_user_input,
        a_body_of_the_wrong_content_type_is_a_client_error,
    )
}
