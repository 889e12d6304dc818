//! Who may do what (API.md "Authentication"): mutations are admin-only, emails are
//! admin-only, and a bad, expired or wrongly signed token is refused on HTTP and on
//! WebSocket, never taken for an anonymous caller. Tokens are checked under one pinned
//! algorithm, with a secret or an identity provider's public key, and settings that cannot
//! check them are refused at start. Introspection can be turned off.

use libtest_mimic::Trial;

mod bad_tokens;
mod emails;
mod helpers;
mod identity_provider;
mod introspection;
mod key_settings;
mod mutations;
mod provider;
mod websocket;

pub(crate) fn trials() -> Vec<Trial> {
    [
        mutations::trials(),
        emails::trials(),
        bad_tokens::trials(),
        websocket::trials(),
        identity_provider::trials(),
        key_settings::trials(),
        introspection::trials(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
