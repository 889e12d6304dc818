//! Every mutation of the contract through the real server: what an accepted command
//! changes (its version, its payload, the read side), every way a command is refused, hostile and
//! unusual text, commands racing each other, and idempotent retries.

use libtest_mimic::Trial;

mod concurrency;
mod helpers;
mod idempotency;
mod organizations;
mod refusals;
mod text;
mod users;

pub(crate) fn trials() -> Vec<Trial> {
    [
        organizations::trials(),
        users::trials(),
        refusals::trials(),
        text::trials(),
        concurrency::trials(),
        idempotency::trials(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
