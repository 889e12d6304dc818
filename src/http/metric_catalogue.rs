//! Every series rosterql exports, described (help text, unit) and present from the first
//! scrape, so dashboards and alerts have something to bind to before anything happens: at
//! zero, and for a label whose values are a closed set, at zero for each value. Series
//! labelled by what a request brings (route, status, close code) are described here and
//! appear with their first sample.

use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};

/// The mutations, as `rosterql_commands_total` labels them (by field name).
const COMMANDS: [&str; 9] = [
    "createOrganization",
    "renameOrganization",
    "createUser",
    "renameUser",
    "changeUserEmail",
    "changeUserRole",
    "suspendUser",
    "reactivateUser",
    "deleteUser",
];

/// A label and one of its values.
type LabelValue = (&'static str, &'static str);

/// Counters: name, help, and the values of a closed label set they are present at.
const COUNTERS: &[(&str, &str, &[LabelValue])] = &[
    (
        "rosterql_http_requests_total",
        "HTTP requests answered, by route, method and status.",
        &[],
    ),
    (
        "rosterql_cache_requests_total",
        "user(id) lookups in the cache, by outcome (hit, miss).",
        &[("outcome", "hit"), ("outcome", "miss")],
    ),
    (
        "rosterql_idempotent_replays_total",
        "Mutations answered with the stored outcome of their Idempotency-Key.",
        &[],
    ),
    (
        "rosterql_projector_events_total",
        "Events the projector applied to the read tables.",
        &[],
    ),
    (
        "rosterql_projector_parked_events_total",
        "Events the projector could not apply and parked.",
        &[],
    ),
    (
        "rosterql_projector_errors_total",
        "Projector batches that failed and were retried.",
        &[],
    ),
    (
        "rosterql_projector_blocked_reads_total",
        "Reads of the log that stopped at an event an open transaction may still overtake.",
        &[],
    ),
    (
        "rosterql_rate_limited_total",
        "Operations refused for being over their caller's budget, by budget.",
        &[("budget", "mutations"), ("budget", "anonymous reads")],
    ),
    (
        "rosterql_subscription_catchups_total",
        "Listeners caught up from the event log (behind the broadcast, or after a rebuild).",
        &[],
    ),
    (
        "rosterql_websocket_closes_total",
        "WebSockets the server closed, by close code.",
        &[],
    ),
    (
        "rosterql_write_admission_waits_total",
        "Mutations that waited for the read side to catch up, by outcome.",
        &[("outcome", "caught_up"), ("outcome", "timed_out")],
    ),
];

/// Gauges: name, unit, help, and the values of a closed label set they are present at.
const GAUGES: &[(&str, Unit, &str, &[LabelValue])] = &[
    (
        "rosterql_http_requests_in_flight",
        Unit::Count,
        "HTTP requests being answered.",
        &[],
    ),
    (
        "rosterql_projector_lag_seconds",
        Unit::Seconds,
        "How old the newest event applied was when it landed on the read side.",
        &[],
    ),
    (
        "rosterql_projector_leader",
        Unit::Count,
        "1 while this instance leads the projector, else 0.",
        &[],
    ),
    (
        "rosterql_projector_position",
        Unit::Count,
        "The position this instance's read side has reached: its transaction and sequence.",
        &[("part", "tx"), ("part", "seq")],
    ),
    (
        "rosterql_websocket_connections",
        Unit::Count,
        "Open WebSocket connections.",
        &[],
    ),
];

/// Histograms: name, help, and whether they have no labels (then present at zero).
const HISTOGRAMS: &[(&str, &str, bool)] = &[
    (
        "rosterql_http_request_duration_seconds",
        "How long HTTP requests took, by route, method and status.",
        false,
    ),
    (
        "rosterql_write_admission_wait_duration_seconds",
        "How long mutations waited for the read side to catch up.",
        true,
    ),
];

/// Describes every series and makes those with known labels present at zero.
pub(super) fn describe_and_register() {
    for (name, help, labels) in COUNTERS {
        describe_counter!(*name, Unit::Count, *help);
        for (label, value) in labels.iter() {
            metrics::counter!(*name, *label => *value).increment(0);
        }
        if labels.is_empty() && !labelled_by_request(name) {
            metrics::counter!(*name).increment(0);
        }
    }
    for command in COMMANDS {
        metrics::counter!("rosterql_commands_total", "command" => command, "outcome" => "OK")
            .increment(0);
    }
    describe_counter!(
        "rosterql_commands_total",
        Unit::Count,
        "Mutations run, by command and outcome (OK or the error code)."
    );
    for (name, unit, help, labels) in GAUGES {
        describe_gauge!(*name, *unit, *help);
        if labels.is_empty() {
            metrics::gauge!(*name).set(0.0);
        }
        for (label, value) in labels.iter() {
            metrics::gauge!(*name, *label => *value).set(0.0);
        }
    }
    for (name, help, unlabelled) in HISTOGRAMS {
        describe_histogram!(*name, Unit::Seconds, *help);
        if *unlabelled {
            let _ = metrics::histogram!(*name);
        }
    }
}

/// Series whose every sample carries labels only a request or a socket brings.
fn labelled_by_request(name: &str) -> bool {
    matches!(
        name,
        "rosterql_http_requests_total" | "rosterql_websocket_closes_total"
    )
}
