//! Several instances on one Postgres: one projector leads, every instance keeps its cache,
//! consistency tokens and subscriptions right, and the whole survives kill -9 and a
//! database restart. Real server processes, and servers in the test's process where a test
//! needs none of its own.

use libtest_mimic::Trial;

mod cluster_of_three;
mod database_restart;
mod wake;

pub(super) fn trials() -> Vec<Trial> {
    [
        cluster_of_three::trials(),
        database_restart::trials(),
        wake::trials(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
