//! How many WebSockets each caller holds open, and the place each socket takes among them:
//! a caller may hold at most a configured number. A place is given back when its socket
//! ends (the [`Place`] is dropped).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::http::caller_key::CallerKey;

/// The open sockets of every caller.
#[derive(Clone)]
pub(super) struct Callers {
    most: usize,
    open: Arc<Mutex<HashMap<CallerKey, usize>>>,
}

impl Callers {
    pub(super) fn new(most: usize) -> Self {
        Self {
            most,
            open: Arc::default(),
        }
    }

    /// A place for one more socket of `key`; None when it already holds as many as it may.
    pub(super) fn admit(&self, key: CallerKey) -> Option<Place> {
        self.take(&key).then(|| Place {
            callers: self.clone(),
            key,
        })
    }

    fn counts(&self) -> MutexGuard<'_, HashMap<CallerKey, usize>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn take(&self, key: &CallerKey) -> bool {
        let mut counts = self.counts();
        // At least one place per caller is allowed, so a refused caller's count is never 0.
        let open = counts.entry(key.clone()).or_default();
        if *open >= self.most {
            return false;
        }
        *open += 1;
        true
    }

    fn give_back(&self, key: &CallerKey) {
        let mut counts = self.counts();
        if let Some(open) = counts.get_mut(key) {
            *open -= 1;
            if *open == 0 {
                counts.remove(key);
            }
        }
    }
}

/// One socket's place among its caller's.
pub(super) struct Place {
    callers: Callers,
    key: CallerKey,
}

impl Place {
    /// Moves this socket to `key`'s count (a token's subject, once known); false, and the
    /// place kept where it was, when `key` already holds as many sockets as it may.
    pub(super) fn move_to(&mut self, key: CallerKey) -> bool {
        if key == self.key {
            return true;
        }
        if !self.callers.take(&key) {
            return false;
        }
        self.callers
            .give_back(&std::mem::replace(&mut self.key, key));
        true
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        self.callers.give_back(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;

    fn address() -> CallerKey {
        CallerKey::Address(IpAddr::from([127, 0, 0, 1]))
    }

    #[test]
    fn a_caller_gets_as_many_places_as_allowed_and_one_more_once_one_is_given_back() {
        let callers = Callers::new(2);
        let first = callers.admit(address()).unwrap();
        let _second = callers.admit(address()).unwrap();
        assert!(callers.admit(address()).is_none());
        drop(first);
        assert!(callers.admit(address()).is_some());
    }

    #[test]
    fn a_place_moved_to_a_subject_frees_the_address_and_counts_for_the_subject() {
        let callers = Callers::new(1);
        let mut place = callers.admit(address()).unwrap();
        assert!(place.move_to(CallerKey::Subject("ada".into())));
        let mut other = callers.admit(address()).unwrap();
        assert!(!other.move_to(CallerKey::Subject("ada".into())));
        drop(place);
        assert!(other.move_to(CallerKey::Subject("ada".into())));
        drop(other);
        assert!(callers.counts().is_empty());
    }
}
