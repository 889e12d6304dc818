//! Write admission: a mutation waits while the read side trails the instance's writes by
//! more than `ROSTERQL_MAX_WRITE_AHEAD` events, for at most a second, and then goes on: the
//! read side's lag is bounded at any write rate, and a stalled projector never stops writes.

use libtest_mimic::Trial;
use serde_json::json;

use crate::support::hold::HoldableApp;
use crate::support::{TestDatabase, on_both_databases};

const WAITS: &str = "rosterql_write_admission_waits_total";

async fn a_write_waits_while_the_read_side_trails_beyond_the_bound(database: TestDatabase) {
    // A process of its own: its counters count only this test's writes.
    let app = HoldableApp::start(database, &[("ROSTERQL_MAX_WRITE_AHEAD", "1")]).await;
    app.create_organization("acme", "Acme").await;
    app.settle().await;
    app.create_organization_unprojected("globex").await;
    app.settle().await;
    assert_eq!(app.counter(WAITS, &[]).await, 0.0, "a write waited at rest");

    let hold = app.hold().await;
    // The read side may trail by one event: these two go through at once …
    app.create_organization_unprojected("initech").await;
    app.create_organization_unprojected("umbrella").await;
    assert_eq!(
        app.counter(WAITS, &[]).await,
        0.0,
        "a write waited within the bound"
    );
    // … this one is two ahead: it waits for the read side, which is held, so it gives up
    // waiting and is accepted all the same.
    app.create_organization_unprojected("hooli").await;
    assert_eq!(
        app.counter(WAITS, &[("outcome", "timed_out")]).await,
        1.0,
        "the write beyond the bound did not wait"
    );
    hold.release().await;

    app.settle().await;
    let body = app.gql("{ organizations { totalCount } }", json!({})).await;
    assert_eq!(body["data"]["organizations"]["totalCount"], 5, "{body}");
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(a_write_waits_while_the_read_side_trails_beyond_the_bound,)
}
