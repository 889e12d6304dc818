//! Hostile bodies against the running server: bytes that are not UTF-8 inside a string
//! argument, escapes JSON forbids, and a variable far larger than any field. Each gets the
//! contract's error, nothing is written, and the server answers the next request.

use libtest_mimic::Trial;

mod bodies;

pub(crate) fn trials() -> Vec<Trial> {
    bodies::trials()
}
