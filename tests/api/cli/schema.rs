//! The committed `schema.graphql` is the schema of the code, and what `rosterql schema`
//! prints.

use libtest_mimic::Trial;

use super::{rosterql, succeeded};
use crate::support::without_database;

fn schema_prints_the_committed_sdl() {
    let printed = succeeded(&rosterql("sqlite::memory:", &["schema"]));
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql");
    assert_eq!(printed, committed);
}

fn the_committed_schema_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql is committed at the project root");
    assert!(
        committed == rosterql::graphql::sdl(),
        "schema.graphql has drifted from the code: run `cargo run -- schema > schema.graphql`"
    );
}

pub(super) fn trials() -> Vec<Trial> {
    without_database!(
        schema_prints_the_committed_sdl,
        the_committed_schema_matches_the_code,
    )
}
