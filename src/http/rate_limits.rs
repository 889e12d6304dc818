//! Per-caller request budgets, kept by `governor` (GCRA: one timestamp per caller, no timer),
//! for GraphQL over HTTP and over WebSocket (`graphql-transport-ws`) alike.
//! Mutations have a budget per caller (its token's subject, else its address); anonymous
//! reads have their own, per client address; reads with a token are not limited. A request
//! over its budget is refused whole, unrun, with 429 and `Retry-After`.
//!
//! Budgets are counted by each instance for itself, like the other per-caller limits.

use std::fmt;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::{Arc, Weak};
use std::time::Duration;

use async_graphql::Request;
use async_graphql::parser::types::OperationType;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::caller_key::CallerKey;
use super::operation_type::selects;
use crate::auth::Caller;
use crate::graphql::MAX_BATCH;

/// How often callers that have been quiet long enough to have their whole budget back are
/// forgotten, so that memory follows the callers of the last minute, not of all time.
const FORGET_QUIET_CALLERS: Duration = Duration::from_secs(60);

/// A budget: so many requests per period, all of which may come at once; or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rate {
    Off,
    Per {
        requests: NonZeroU32,
        period: Duration,
    },
}

/// The requests a rate may allow in its period: at least a whole batch, so that every
/// batch the server takes can be within a budget.
const REQUESTS: std::ops::RangeInclusive<u32> = MAX_BATCH as u32..=1_000_000;

impl FromStr for Rate {
    type Err = String;

    /// `off`, or `<requests>/<s|min|h>`, e.g. `100/s`, `6000/min`.
    fn from_str(text: &str) -> Result<Self, String> {
        if text.eq_ignore_ascii_case("off") {
            return Ok(Self::Off);
        }
        let shape =
            || format!("`{text}` is no rate: write `off` or e.g. `100/s`, `600/min`, `1000/h`");
        let (requests, unit) = text.split_once('/').ok_or_else(shape)?;
        let period = match unit.trim() {
            "s" => Duration::from_secs(1),
            "min" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            _ => return Err(shape()),
        };
        let requests = requests
            .trim()
            .parse::<NonZeroU32>()
            .ok()
            .filter(|requests| REQUESTS.contains(&requests.get()))
            .ok_or_else(|| {
                let (least, most) = (REQUESTS.start(), REQUESTS.end());
                format!("`{text}`: the requests must be {least} to {most}")
            })?;
        Ok(Self::Per { requests, period })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Off => f.write_str("off"),
            Self::Per { requests, period } => {
                let unit = match period.as_secs() {
                    1 => "s",
                    60 => "min",
                    _ => "h",
                };
                write!(f, "{requests}/{unit}")
            }
        }
    }
}

impl Rate {
    /// `requests` a second (`off` for none).
    pub const fn per_second(requests: u32) -> Self {
        match NonZeroU32::new(requests) {
            Some(requests) => Self::Per {
                requests,
                period: Duration::from_secs(1),
            },
            None => Self::Off,
        }
    }

    /// The limiter that keeps this rate per key, if it limits anything.
    fn limiter(self) -> Option<DefaultKeyedRateLimiter<CallerKey>> {
        let Self::Per { requests, period } = self else {
            return None;
        };
        let quota = Quota::with_period(period / requests.get())?.allow_burst(requests);
        Some(RateLimiter::keyed(quota))
    }
}

/// The two budgets a GraphQL request may draw on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    Mutations,
    AnonymousReads,
}

impl Budget {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mutations => "mutations",
            Self::AnonymousReads => "anonymous reads",
        }
    }
}

/// A request over its caller's budget, and how long until it would be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub budget: Budget,
    pub retry_after: Duration,
}

/// What one request asks of the budgets: its mutations and its other operations.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Operations {
    pub(super) mutations: u32,
    pub(super) reads: u32,
}

impl Operations {
    /// The mutations and the other operations `requests` would run (one that does not
    /// parse is a read: it will run nothing).
    pub(super) fn of<'a>(requests: impl Iterator<Item = &'a mut Request>) -> Self {
        requests.fold(Self::default(), |mut operations, request| {
            if selects(request, OperationType::Mutation) {
                operations.mutations += 1;
            } else {
                operations.reads += 1;
            }
            operations
        })
    }
}

/// Every caller's budgets on this instance.
pub(super) struct RateLimits {
    mutations: Option<DefaultKeyedRateLimiter<CallerKey>>,
    anonymous_reads: Option<DefaultKeyedRateLimiter<CallerKey>>,
}

impl RateLimits {
    /// The budgets, and (within a Tokio runtime) a task that forgets quiet callers while they
    /// are in use.
    pub(super) fn new(mutations: Rate, anonymous_reads: Rate) -> Arc<Self> {
        let limits = Arc::new(Self {
            mutations: mutations.limiter(),
            anonymous_reads: anonymous_reads.limiter(),
        });
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(forget_quiet_callers(Arc::downgrade(&limits)));
        }
        limits
    }

    /// Takes what `operations` of `caller` (from `address`) ask of their budgets, or tells
    /// which budget they are over: the request is then refused whole (an anonymous batch of
    /// mutations and reads refused for its reads keeps its mutations counted).
    pub(super) fn take(
        &self,
        caller: &Caller,
        address: IpAddr,
        operations: Operations,
    ) -> Result<(), Limited> {
        // The key is made only for a budget the request draws on: a read with a token (the
        // common case behind a dashboard) copies no subject.
        let key = || CallerKey::of(caller, address);
        if let (Some(mutations), Some(count)) =
            (&self.mutations, NonZeroU32::new(operations.mutations))
        {
            take(mutations, &key(), count, Budget::Mutations)?;
        }
        if let (Some(reads), Caller::Anonymous, Some(count)) = (
            &self.anonymous_reads,
            caller,
            NonZeroU32::new(operations.reads),
        ) {
            take(reads, &key(), count, Budget::AnonymousReads)?;
        }
        Ok(())
    }
}

fn take(
    limiter: &DefaultKeyedRateLimiter<CallerKey>,
    key: &CallerKey,
    count: NonZeroU32,
    budget: Budget,
) -> Result<(), Limited> {
    let limited = |retry_after| {
        metrics::counter!("rosterql_rate_limited_total", "budget" => budget.as_str()).increment(1);
        Limited {
            budget,
            retry_after,
        }
    };
    // A batch is never larger than a budget (see `REQUESTS`), so `check_key_n` cannot
    // find the budget too small for it.
    match limiter.check_key_n(key, count) {
        Ok(Err(not_until)) => Err(limited(
            not_until.wait_time_from(DefaultClock::default().now()),
        )),
        Ok(Ok(())) | Err(_) => Ok(()),
    }
}

async fn forget_quiet_callers(limits: Weak<RateLimits>) {
    let mut ticks = tokio::time::interval(FORGET_QUIET_CALLERS);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let Some(limits) = limits.upgrade() else {
            return;
        };
        for limiter in [&limits.mutations, &limits.anonymous_reads]
            .into_iter()
            .flatten()
        {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anonymous(limits: &RateLimits, mutations: u32, reads: u32) -> Result<(), Limited> {
        let address = IpAddr::from([192, 0, 2, 1]);
        limits.take(&Caller::Anonymous, address, Operations { mutations, reads })
    }

    #[test]
    fn rates_read_as_written_and_nonsense_is_refused() {
        assert_eq!("off".parse(), Ok(Rate::Off));
        let rate: Rate = "600/min".parse().unwrap();
        assert_eq!(rate.to_string(), "600/min");
        for bad in ["0/s", "9/s", "10", "10/day", "-1/s", "1000001/s", "x/s"] {
            assert!(bad.parse::<Rate>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_budget_allows_its_burst_then_says_when_to_come_back() {
        let limits = RateLimits::new(Rate::Off, "12/min".parse().unwrap());
        assert_eq!(anonymous(&limits, 0, 10), Ok(()));
        assert_eq!(anonymous(&limits, 0, 2), Ok(()));
        let limited = anonymous(&limits, 0, 1).unwrap_err();
        assert_eq!(limited.budget, Budget::AnonymousReads);
        assert!(
            limited.retry_after > Duration::from_secs(4)
                && limited.retry_after <= Duration::from_secs(5),
            "one request back every 5 s: {limited:?}"
        );
    }

    #[test]
    fn mutations_and_reads_draw_on_separate_budgets_and_tokens_read_freely() {
        let limits = RateLimits::new("10/min".parse().unwrap(), "10/min".parse().unwrap());
        assert_eq!(anonymous(&limits, 10, 0), Ok(()));
        assert_eq!(anonymous(&limits, 0, 10), Ok(()));
        assert_eq!(
            anonymous(&limits, 1, 0).unwrap_err().budget,
            Budget::Mutations
        );
        assert_eq!(
            anonymous(&limits, 0, 1).unwrap_err().budget,
            Budget::AnonymousReads
        );
        let admin = Caller::Authenticated {
            sub: "ada".into(),
            role: crate::auth::Role::Admin,
            expires_at: i64::MAX,
        };
        let address = IpAddr::from([192, 0, 2, 1]);
        let reads = Operations {
            mutations: 0,
            reads: 50,
        };
        assert_eq!(limits.take(&admin, address, reads), Ok(()), "not limited");
        let writes = Operations {
            mutations: 10,
            reads: 0,
        };
        assert_eq!(
            limits.take(&admin, address, writes),
            Ok(()),
            "its own budget"
        );
    }
}
