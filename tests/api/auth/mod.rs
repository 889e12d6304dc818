//! Who may do what (API.md "Authentication"): mutations are admin-only, emails are
//! admin-only, and a bad, expired or wrongly signed token is refused on HTTP and on
//! WebSocket, never taken for an anonymous caller.

use libtest_mimic::Trial;

mod bad_tokens;
mod emails;
mod helpers;
mod mutations;
mod websocket;

pub(crate) fn trials() -> Vec<Trial> {
    [
        mutations::trials(),
        emails::trials(),
        bad_tokens::trials(),
        websocket::trials(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
