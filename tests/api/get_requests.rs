//! GraphQL over GET: queries run, mutations are refused (a link must never write).

use libtest_mimic::Trial;
use serde_json::Value;

use crate::support::{TestApp, assert_no_errors, error_code, on_both_databases};

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

pub(crate) fn trials() -> Vec<Trial> {
    on_both_databases!(a_mutation_over_get_is_refused_and_writes_nothing,)
}
