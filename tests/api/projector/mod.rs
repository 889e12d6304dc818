//! The projector and the read side it keeps: read-your-writes with consistency tokens,
//! commit order on Postgres, restarts, a log the checkpoint does not count in, listeners that fall behind, a database that goes away,
//! command and read sides on two databases, rebuilding the read side from the log, verifying and
//! repairing it, events it cannot apply (parked, then retried), and writes that wait for a
//! read side too far behind.

use libtest_mimic::Trial;

mod consistency;
mod event_ordering;
mod foreign_log;
mod health;
mod outage;
mod parking;
mod rebuild;
mod restart;
mod slow_listeners;
mod split_databases;
mod verify;
mod write_admission;

pub(super) fn trials() -> Vec<Trial> {
    [
        consistency::trials(),
        event_ordering::trials(),
        foreign_log::trials(),
        health::trials(),
        restart::trials(),
        slow_listeners::trials(),
        outage::trials(),
        parking::trials(),
        rebuild::trials(),
        split_databases::trials(),
        verify::trials(),
        write_admission::trials(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
