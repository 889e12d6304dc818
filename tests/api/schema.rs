//! The committed `schema.graphql` is what `rosterql schema` prints.

use libtest_mimic::Trial;

use crate::support::without_database;

fn the_committed_schema_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql is committed at the project root");
    assert!(
        committed == rosterql::graphql::sdl(),
        "schema.graphql has drifted from the code: run `cargo run -- schema > schema.graphql`"
    );
}

pub(crate) fn trials() -> Vec<Trial> {
    without_database!(the_committed_schema_matches_the_code)
}
