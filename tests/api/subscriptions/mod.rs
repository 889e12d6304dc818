//! Subscriptions: `userChanged` and `organizationChanged` over both WebSocket protocols.

use libtest_mimic::Trial;

mod errors;
mod listener;
mod live_only;
mod organization_changes;
mod resuming;
mod script;
mod user_changes;

pub(crate) fn trials() -> Vec<Trial> {
    [
        user_changes::trials(),
        organization_changes::trials(),
        resuming::trials(),
        errors::trials(),
        live_only::trials(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
