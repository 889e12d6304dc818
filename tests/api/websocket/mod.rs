//! GraphQL over WebSocket as API.md's "Protocol conformance" states it for
//! `graphql-transport-ws`: its close codes, pings both ways, a socket closed when its token
//! expires, the limits on what one socket and one caller may hold, and the `graphql-ws`
//! library's own client against the server.

use libtest_mimic::Trial;

mod close_codes;
mod graphql_ws_client;
mod keep_alive;
mod limits;
mod token_expiry;

pub(crate) fn trials() -> Vec<Trial> {
    [
        close_codes::trials(),
        keep_alive::trials(),
        token_expiry::trials(),
        limits::trials(),
        graphql_ws_client::trials(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
