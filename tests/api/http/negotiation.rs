//! Media types: the response comes in the type the client accepts (406 when it accepts
//! neither); a body that is no GraphQL request is a 400; a request that never ran is a 400
//! without `data` under `application/graphql-response+json` and a 200 under
//! `application/json`; and a POST body that is not `application/json` in UTF-8 is refused
//! unrun (415), whatever it holds.

use libtest_mimic::Trial;
use serde_json::{Value, json};

use super::content_type;
use crate::support::{Backend, TestApp, assert_no_errors, error_code};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// POSTs `body` labelled `application/json` with `accept` (None: reqwest's default, `*/*`);
/// returns the status, the content type and the JSON answer.
async fn post_accepting(app: &TestApp, accept: Option<&str>, body: &str) -> (u16, String, Value) {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .header(reqwest::header::CONTENT_TYPE, JSON)
        .body(body.to_owned());
    if let Some(accept) = accept {
        request = request.header(reqwest::header::ACCEPT, accept);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let kind = content_type(&response);
    let text = response.text().await.expect("a body");
    let answer = serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("not a JSON answer ({error}): {text}"));
    (status, kind, answer)
}

async fn each_client_gets_the_media_type_it_accepts(app: TestApp) {
    let query = json!({ "query": "{ __typename }" }).to_string();
    for (accept, expected) in [
        (Some(JSON), JSON),
        (Some("application/json; charset=utf-8"), JSON),
        (Some(GRAPHQL_RESPONSE_JSON), GRAPHQL_RESPONSE_JSON),
        (
            Some("application/graphql-response+json, application/json"),
            GRAPHQL_RESPONSE_JSON,
        ),
        (
            Some("application/graphql-response+json;q=0.5, application/json"),
            JSON,
        ),
        (Some("*/*"), JSON),
        (None, JSON),
    ] {
        let (status, kind, answer) = post_accepting(&app, accept, &query).await;
        assert_eq!(status, 200, "Accept {accept:?}: {answer}");
        assert!(
            kind.starts_with(expected) && kind.contains("charset=utf-8"),
            "Accept {accept:?}: content type {kind:?}, not {expected}"
        );
        assert_no_errors(&answer);
        assert_eq!(answer["data"]["__typename"], "Query", "{answer}");
    }
}

async fn a_client_that_accepts_neither_type_gets_406(app: TestApp) {
    let query = json!({ "query": "{ __typename }" }).to_string();
    for accept in [
        "text/html",
        "application/graphql-response+json; charset=iso-8859-1",
        "application/json;q=0",
    ] {
        let (status, _, answer) = post_accepting(&app, Some(accept), &query).await;
        assert_eq!(status, 406, "Accept {accept:?}: {answer}");
        assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{answer}");
        assert!(answer.get("data").is_none(), "{answer}");
    }
}

/// Bodies that are no GraphQL request: not JSON, no query, parameters of the wrong shape.
const NOT_GRAPHQL_REQUESTS: [&str; 5] = [
    r#"{ "not a JSON"#,
    r#"{"qeury": "{ __typename }"}"#,
    r#"{"query": "{ __typename }", "variables": [7]}"#,
    r#"{"query": "{ __typename }", "operationName": 42}"#,
    r#"{"query": "{ __typename }", "extensions": "x"}"#,
];

async fn a_body_that_is_no_graphql_request_is_400_whatever_the_client_accepts(app: TestApp) {
    for body in NOT_GRAPHQL_REQUESTS {
        for accept in [GRAPHQL_RESPONSE_JSON, JSON] {
            let (status, kind, answer) = post_accepting(&app, Some(accept), body).await;
            assert_eq!(status, 400, "{accept}, {body}: {answer}");
            assert!(kind.starts_with(accept), "{accept}, {body}: {kind}");
            assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{body}: {answer}");
            assert!(answer.get("data").is_none(), "{accept}, {body}: {answer}");
        }
    }
}

/// Requests that never run: a document that does not parse, one that fails validation,
/// variables that do not fit.
const NEVER_RAN: [&str; 3] = [
    r#"{"query": "{"}"#,
    r#"{"query": "{ noSuchField }"}"#,
    r#"{"query": "query($id: ID!) { user(id: $id) { id } }", "variables": {"id": null}}"#,
];

async fn a_request_that_never_ran_is_400_under_graphql_response_json_and_200_under_json(
    app: TestApp,
) {
    for body in NEVER_RAN {
        for (accept, status) in [(GRAPHQL_RESPONSE_JSON, 400), (JSON, 200)] {
            let (answered, kind, answer) = post_accepting(&app, Some(accept), body).await;
            assert_eq!(answered, status, "{accept}, {body}: {answer}");
            assert!(kind.starts_with(accept), "{accept}, {body}: {kind}");
            assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{body}: {answer}");
            assert!(
                answer.get("data").is_none(),
                "{accept}, {body}: a request that never ran has no data entry: {answer}"
            );
        }
    }
}

async fn a_request_that_ran_is_200_with_data_even_when_a_field_failed(app: TestApp) {
    let body = json!({ "query": "{ users(first: 101) { totalCount } }" }).to_string();
    for accept in [GRAPHQL_RESPONSE_JSON, JSON] {
        let (status, _, answer) = post_accepting(&app, Some(accept), &body).await;
        assert_eq!(status, 200, "{accept}: {answer}");
        assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{answer}");
        assert_eq!(answer.get("data"), Some(&Value::Null), "{accept}: {answer}");
    }
}

/// A mutation that would create the organization `csrf`, were it run.
const CREATE_CSRF: &str = r#"{"query": "mutation { createOrganization(input: {slug: \"csrf\", name: \"C\"}) { version } }"}"#;

async fn a_post_that_is_not_json_in_utf8_is_refused_unrun(app: TestApp) {
    for content_type in [
        Some("text/plain"),
        Some("text/plain;charset=UTF-8"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=----x"),
        Some("application/graphql"),
        Some("application/json; charset=utf-16"),
        None,
    ] {
        let mut request = app
            .client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&app.admin)
            .body(CREATE_CSRF);
        if let Some(content_type) = content_type {
            request = request.header(reqwest::header::CONTENT_TYPE, content_type);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let accepted = response
            .headers()
            .get("accept-post")
            .map(|value| value.to_str().expect("ASCII").to_owned());
        let answer: Value = response.json().await.expect("a JSON body");
        assert_eq!(status, 415, "{content_type:?}: {answer}");
        assert_eq!(accepted.as_deref(), Some(JSON), "{content_type:?}");
        assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{answer}");
    }
    app.settle().await;
    let found = app
        .gql(
            "query($slug: String) { organization(slug: $slug) { id } }",
            json!({ "slug": "csrf" }),
        )
        .await;
    assert_no_errors(&found);
    assert_eq!(
        found["data"]["organization"],
        Value::Null,
        "a refused POST ran"
    );
}

/// Media types are the same whatever the database: SQLite alone.
pub(super) fn trials() -> Vec<Trial> {
    crate::support::harness::on_backends!(
        [Backend::Sqlite];
        each_client_gets_the_media_type_it_accepts,
        a_client_that_accepts_neither_type_gets_406,
        a_body_that_is_no_graphql_request_is_400_whatever_the_client_accepts,
        a_request_that_never_ran_is_400_under_graphql_response_json_and_200_under_json,
        a_request_that_ran_is_200_with_data_even_when_a_field_failed,
        a_post_that_is_not_json_in_utf8_is_refused_unrun,
    )
}
