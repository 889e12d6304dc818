//! GraphQL over WebSocket as API.md's "Protocol conformance" states it for
//! `graphql-transport-ws`: its close codes, pings both ways, a socket closed when its token
//! expires, and the limits on what one socket and one caller may hold.

use libtest_mimic::Trial;

mod close_codes;
mod keep_alive;
mod limits;
mod token_expiry;

pub(crate) fn trials() -> Vec<Trial> {
    [
        close_codes::trials(),
        keep_alive::trials(),
        token_expiry::trials(),
        limits::trials(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
