//! Whom a request or a socket is counted against, for the per-caller limits: its token's
//! subject when it has one, else its client address.

use std::net::IpAddr;

use crate::auth::Caller;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum CallerKey {
    Subject(String),
    Address(IpAddr),
}

impl CallerKey {
    /// `caller`'s key, from `address` when it is anonymous.
    pub(super) fn of(caller: &Caller, address: IpAddr) -> Self {
        caller
            .sub()
            .map_or(Self::Address(address), |sub| Self::Subject(sub.to_owned()))
    }
}
