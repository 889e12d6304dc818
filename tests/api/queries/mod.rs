//! Reading the directory: `user`, `users` (filters, orderings, Relay pagination),
//! `organization`, `organizations` and `readModel`, all answered from the read side.

use libtest_mimic::Trial;

mod directory;
mod organizations;
mod pages;
mod pagination;
mod paging_errors;
mod read_model;
mod smoke;
mod users;

pub(crate) fn trials() -> Vec<Trial> {
    [
        smoke::trials(),
        users::trials(),
        pagination::trials(),
        paging_errors::trials(),
        organizations::trials(),
        read_model::trials(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
