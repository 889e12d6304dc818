//! Hostile input against the running server: bodies no client should send (bytes that are
//! not UTF-8, escapes JSON forbids, a variable far larger than any field), a flood of
//! WebSocket subscribes, and requests generated from the schema by a fuzzer. Each gets the
//! contract's error, nothing is written, and the server answers the next request.

use libtest_mimic::Trial;

mod bodies;
mod fuzzing;
mod websocket_flood;

pub(crate) fn trials() -> Vec<Trial> {
    [
        bodies::trials(),
        fuzzing::trials(),
        websocket_flood::trials(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
