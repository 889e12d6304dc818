//! The limits a GraphQL document is held to: at its limit a document runs, one past it is
//! refused whole with `BAD_USER_INPUT` naming the limit, and nothing of it is written. The
//! limits are set low here so a small mutation meets them; the defaults let the standard
//! introspection query (as GraphiQL and code generators send it) through.

use libtest_mimic::Trial;
use rosterql::config::Config;
use serde_json::{Value, json};

use crate::support::{
    Backend, TestApp, TestDatabase, assert_no_errors, error_code, on_both_databases,
};

/// `createOrganization` of `slug`, under `alias`, selecting `selection`.
fn create(alias: &str, slug: &str, selection: &str) -> String {
    format!(
        r#"{alias}: createOrganization(input: {{slug: "{slug}", name: "N"}}) {{ {selection} }}"#
    )
}

/// Organizations created under the given slugs, once the read side has caught up.
async fn created(app: &TestApp, slugs: &[&str]) -> Vec<bool> {
    app.settle().await;
    let mut found = Vec::new();
    for slug in slugs {
        let body = app
            .gql(
                "query($slug: String) { organization(slug: $slug) { id } }",
                json!({ "slug": slug }),
            )
            .await;
        assert_no_errors(&body);
        found.push(!body["data"]["organization"].is_null());
    }
    found
}

/// Asks for `application/graphql-response+json`, whose status tells a refusal.
const ACCEPT: [(&str, &str); 1] = [("accept", "application/graphql-response+json")];

/// Runs `document` as an admin: it must be accepted.
async fn accepted(app: &TestApp, document: &str) {
    let (status, body) = app
        .post(Some(&app.admin), &ACCEPT, json!({ "query": document }))
        .await;
    assert_eq!(status, 200, "{document}: {body}");
    assert_no_errors(&body);
}

/// Runs `document` as an admin: it must be refused unrun for its `limit`.
async fn refused(app: &TestApp, document: &str, limit: &str) {
    let (status, body) = app
        .post(Some(&app.admin), &ACCEPT, json!({ "query": document }))
        .await;
    assert_eq!(status, 400, "{document}: {body}");
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["limit"], limit, "{body}");
    assert!(
        body.get("data").is_none(),
        "a refused document has no data: {body}"
    );
}

async fn spawn(database: TestDatabase, configure: impl FnOnce(&mut Config)) -> TestApp {
    TestApp::spawn_on(database, configure).await
}

/// A mutation of `fields`.
fn mutation(fields: &[String]) -> String {
    format!("mutation {{ {} }}", fields.join(" "))
}

/// `within` runs and creates the organizations it names; `past` is refused for `limit` and
/// creates none of the organizations it names.
async fn at_the_limit_and_past_it(
    app: &TestApp,
    within: (&str, &[&str]),
    past: (&str, &[&str]),
    limit: &str,
) {
    accepted(app, within.0).await;
    refused(app, past.0, limit).await;
    let slugs = [within.1, past.1].concat();
    let expected: Vec<bool> = slugs.iter().map(|slug| within.1.contains(slug)).collect();
    assert_eq!(created(app, &slugs).await, expected, "{slugs:?}");
}

async fn aliases_up_to_the_limit_run_and_one_more_is_refused_unwritten(database: TestDatabase) {
    let app = spawn(database, |config| config.max_aliases = 2).await;
    let two = mutation(&[create("a", "a1", "version"), create("b", "b1", "version")]);
    let three = mutation(&[
        create("a", "a2", "version"),
        create("b", "b2", "version"),
        create("c", "c2", "version"),
    ]);
    let past = (three.as_str(), ["a2", "b2", "c2"].as_slice());
    at_the_limit_and_past_it(&app, (&two, &["a1", "b1"]), past, "aliases").await;
}

async fn root_fields_up_to_the_limit_run_and_one_more_is_refused_unwritten(database: TestDatabase) {
    let app = spawn(database, |config| config.max_root_fields = 2).await;
    let two = mutation(&[create("a", "a1", "version"), create("b", "b1", "version")]);
    // Through a fragment too: three root fields in all.
    let three = format!(
        "mutation {{ {} ...More }} fragment More on Mutation {{ {} {} }}",
        create("a", "a2", "version"),
        create("b", "b2", "version"),
        create("c", "c2", "version")
    );
    let past = (three.as_str(), ["a2", "b2", "c2"].as_slice());
    at_the_limit_and_past_it(&app, (&two, &["a1", "b1"]), past, "rootFields").await;
}

async fn directives_up_to_the_limit_run_and_one_more_is_refused_unwritten(database: TestDatabase) {
    let app = spawn(database, |config| config.max_directives = 1).await;
    let one = mutation(&[create("a", "a1", "version @include(if: true)")]);
    let two = mutation(&[create(
        "a",
        "a2",
        "version @include(if: true) @skip(if: false)",
    )]);
    at_the_limit_and_past_it(&app, (&one, &["a1"]), (&two, &["a2"]), "directives").await;
}

async fn depth_up_to_the_limit_runs_and_one_more_is_refused_unwritten(database: TestDatabase) {
    let app = spawn(database, |config| config.max_depth = 3).await;
    // createOrganization › organization › id: depth 3.
    accepted(&app, &mutation(&[create("a", "a1", "organization { id }")])).await;
    let organization = created(&app, &["a1"]).await;
    assert_eq!(organization, [true]);
    // createUser › user › organization › id: depth 4.
    let body = app
        .gql(r#"query { organization(slug: "a1") { id } }"#, json!({}))
        .await;
    let organization_id = body["data"]["organization"]["id"].as_str().expect("an id");
    refused(
        &app,
        &format!(
            r#"mutation {{ createUser(input: {{organizationId: "{organization_id}", email: "deep@example.com", name: "D"}}) {{ user {{ organization {{ id }} }} }} }}"#
        ),
        "depth",
    )
    .await;
    app.settle().await;
    let users = app.gql("{ users { totalCount } }", json!({})).await;
    assert_eq!(users["data"]["users"]["totalCount"], 0, "{users}");
}

async fn complexity_up_to_the_limit_runs_and_one_more_is_refused_unwritten(database: TestDatabase) {
    // Four, so that `readModel { lagEvents position headPosition }` (settling) runs too.
    let app = spawn(database, |config| config.max_complexity = 4).await;
    // createOrganization (1) › organizationId, version, consistencyToken (1 each): 4.
    let four = mutation(&[create("a", "a1", "organizationId version consistencyToken")]);
    // … › organization (1) › id (1): 6.
    let six = mutation(&[create(
        "a",
        "a2",
        "organizationId version organization { id }",
    )]);
    at_the_limit_and_past_it(&app, (&four, &["a1"]), (&six, &["a2"]), "complexity").await;
}

async fn a_connection_costs_its_page_size_times_its_children(database: TestDatabase) {
    let app = spawn(database, |config| config.max_complexity = 5).await;
    // users (1) + 2 rows × (nodes (1) › id (1)): 5.
    accepted(&app, "{ users(first: 2) { nodes { id } } }").await;
    for over in [
        "{ users(first: 3) { nodes { id } } }",
        "{ users(last: 3) { nodes { id } } }",
        // The default page is 20 rows.
        "{ users { nodes { id } } }",
        "{ organizations(first: 3) { nodes { id } } }",
    ] {
        refused(&app, over, "complexity").await;
    }
    // The page size may come in a variable.
    let (status, body) = app
        .post(
            None,
            &ACCEPT,
            json!({
                "query": "query($n: Int) { users(first: $n) { nodes { id } } }",
                "variables": { "n": 3 },
            }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["limit"], "complexity",
        "{body}"
    );
}

async fn a_query_up_to_its_size_limit_runs_and_a_longer_one_is_refused_unwritten(
    database: TestDatabase,
) {
    const LIMIT: usize = 1024;
    let app = spawn(database, |config| config.max_query_bytes = LIMIT).await;
    // A mutation padded with a comment to `size` bytes.
    let padded = |slug: &str, size: usize| {
        let document = mutation(&[create("a", slug, "version")]) + "\n#";
        let padding =
            "é".repeat((size - document.len()) / 2) + &"#".repeat((size - document.len()) % 2);
        let document = document + &padding;
        assert_eq!(document.len(), size, "bytes, not characters");
        document
    };
    let (within, past) = (padded("a1", LIMIT), padded("a2", LIMIT + 1));
    at_the_limit_and_past_it(&app, (&within, &["a1"]), (&past, &["a2"]), "size").await;
}

async fn a_batch_up_to_the_configured_limit_runs_and_a_longer_one_is_refused_unwritten(
    database: TestDatabase,
) {
    let app = spawn(database, |config| config.max_batch = 2).await;
    let batch = |slugs: &[&str]| {
        Value::Array(
            slugs
                .iter()
                .map(|slug| json!({ "query": mutation(&[create("a", slug, "version")]) }))
                .collect(),
        )
    };
    let (status, body) = app.post(Some(&app.admin), &[], batch(&["a1", "b1"])).await;
    assert_eq!(status, 200, "{body}");
    body.as_array()
        .unwrap_or_else(|| panic!("an array: {body}"))
        .iter()
        .for_each(assert_no_errors);
    let (status, body) = app
        .post(Some(&app.admin), &[], batch(&["a2", "b2", "c2"]))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(
        created(&app, &["a1", "b1", "a2", "b2", "c2"]).await,
        [true, true, false, false, false]
    );
}

/// The binary reads its limits from the environment.
async fn the_binary_takes_its_limits_from_the_environment(database: TestDatabase) {
    let app = TestApp::spawn_process(
        database,
        &[("ROSTERQL_MAX_ALIASES", "1"), ("ROSTERQL_MAX_DEPTH", "2")],
    )
    .await;
    accepted(&app, "{ a: readModel { position } }").await;
    refused(
        &app,
        "{ a: readModel { position } b: readModel { position } }",
        "aliases",
    )
    .await;
    refused(&app, "{ users { nodes { id } } }", "depth").await;
}

/// The introspection query of graphql-js 16 (`getIntrospectionQuery` with every option on),
/// as GraphiQL and code generators send it.
const INTROSPECTION_QUERY: &str = r"
query IntrospectionQuery {
  __schema {
    description
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives {
      name
      description
      isRepeatable
      locations
      args(includeDeprecated: true) { ...InputValue }
    }
  }
}
fragment FullType on __Type {
  kind
  name
  description
  specifiedByURL
  fields(includeDeprecated: true) {
    name
    description
    args(includeDeprecated: true) { ...InputValue }
    type { ...TypeRef }
    isDeprecated
    deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) {
    name
    description
    isDeprecated
    deprecationReason
  }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name
  description
  type { ...TypeRef }
  defaultValue
  isDeprecated
  deprecationReason
}
fragment TypeRef on __Type {
  kind
  name
  ofType {
    kind
    name
    ofType {
      kind
      name
      ofType {
        kind
        name
        ofType {
          kind
          name
          ofType {
            kind
            name
            ofType {
              kind
              name
              ofType {
                kind
                name
                ofType {
                  kind
                  name
                }
              }
            }
          }
        }
      }
    }
  }
}";

async fn the_standard_introspection_query_passes_the_default_limits(app: TestApp) {
    let (status, body) = app
        .post(None, &[], json!({ "query": INTROSPECTION_QUERY }))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_no_errors(&body);
    let types = body["data"]["__schema"]["types"]
        .as_array()
        .unwrap_or_else(|| panic!("types: {body}"));
    assert!(
        types.iter().any(|ty| ty["name"] == "UserConnection"),
        "{body}"
    );
}

pub(super) fn trials() -> Vec<Trial> {
    let mut trials = crate::support::harness::on_backends!(
        [Backend::Sqlite];
        aliases_up_to_the_limit_run_and_one_more_is_refused_unwritten,
        root_fields_up_to_the_limit_run_and_one_more_is_refused_unwritten,
        directives_up_to_the_limit_run_and_one_more_is_refused_unwritten,
        depth_up_to_the_limit_runs_and_one_more_is_refused_unwritten,
        a_connection_costs_its_page_size_times_its_children,
        a_query_up_to_its_size_limit_runs_and_a_longer_one_is_refused_unwritten,
        a_batch_up_to_the_configured_limit_runs_and_a_longer_one_is_refused_unwritten,
        the_standard_introspection_query_passes_the_default_limits,
        the_binary_takes_its_limits_from_the_environment,
    );
    // Where a refused mutation would have written to Postgres, prove it on both.
    trials.extend(on_both_databases!(
        complexity_up_to_the_limit_runs_and_one_more_is_refused_unwritten,
    ));
    trials
}
