//! Failures that are the server's, not the client's (API.md "Errors"): a failed read, an
//! unreachable database, a panicking handler. The client gets INTERNAL_SERVER_ERROR or
//! SERVICE_UNAVAILABLE with no internal detail and the request's id, which the server's log
//! line for the failure names too; the server keeps serving.

use libtest_mimic::Trial;

mod panics;
mod request_ids;

pub(crate) fn trials() -> Vec<Trial> {
    [request_ids::trials(), panics::trials()]
        .into_iter()
        .flatten()
        .collect()
}
