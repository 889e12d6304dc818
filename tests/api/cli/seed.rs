//! `rosterql migrate`, `seed` and `rebuild-projections` on a database no server runs on.

use libtest_mimic::Trial;
use serde_json::json;

use super::{rosterql, succeeded};
use crate::support::{TestApp, TestDatabase, assert_no_errors, on_both_databases, test_config};

async fn seeded_data_is_projected_and_rebuilds_identically(database: TestDatabase) {
    succeeded(&rosterql(&database.url, &["migrate"]));
    succeeded(&rosterql(
        &database.url,
        &["seed", "--organizations", "3", "--users", "12"],
    ));

    let query = "{ organizations { totalCount nodes { slug memberCount activeMemberCount } }
                   users(first: 100, orderBy: CREATED_AT_ASC) { totalCount nodes { id name version organization { slug } } } }";
    let app = TestApp::start(&test_config(&database)).await;
    app.settle().await;
    let seeded = app.gql(query, json!({})).await;
    assert_no_errors(&seeded);
    assert_eq!(seeded["data"]["organizations"]["totalCount"], 3);
    assert_eq!(seeded["data"]["users"]["totalCount"], 12);
    for organization in seeded["data"]["organizations"]["nodes"]
        .as_array()
        .expect("nodes")
    {
        assert_eq!(organization["memberCount"], 4, "{organization}");
    }
    app.stop().await;

    let rebuilt_output = succeeded(&rosterql(&database.url, &["rebuild-projections"]));
    assert!(rebuilt_output.is_empty(), "logs go to stderr, not stdout");
    let app = TestApp::start(&test_config(&database)).await;
    let rebuilt = app.gql(query, json!({})).await;
    assert_eq!(
        rebuilt, seeded,
        "a rebuild from the event log gives the same read side"
    );
    app.stop().await;
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(seeded_data_is_projected_and_rebuilds_identically,)
}
