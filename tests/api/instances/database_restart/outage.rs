//! The outage as the test saw it (when `pg_ctl stop` and `pg_ctl start` were called and
//! returned), and the checks of the load's requests against it: every answer, at any time,
//! and what both instances answered while Postgres was away.

use serde_json::Value;
use tokio::time::Instant;

use super::load::{Ack, Attempt, Kind};
use super::{BOUND, Findings, INSTANCES, MARGIN};
use crate::support::assert_no_internal_detail;

/// What no error message may name.
const DRIVER_DETAIL: [&str; 6] = [
    "sql",
    "postgres",
    "pool",
    "connection",
    "terminat",
    "os error",
];

/// When Postgres went away and came back, as the test saw it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Timeline {
    /// `pg_ctl stop` was called.
    pub(super) stop_requested: Instant,
    /// `pg_ctl stop` returned: the server is down.
    pub(super) down: Instant,
    /// `pg_ctl start` was called.
    pub(super) start_requested: Instant,
    /// `pg_ctl start` returned: the server accepts connections.
    pub(super) up: Instant,
}

impl Timeline {
    /// The attempt's start relative to the stop, e.g. `-0.120s` or `+2.310s`.
    pub(super) fn offset(&self, at: Instant) -> String {
        match at.checked_duration_since(self.stop_requested) {
            Some(after) => format!("+{:.3}s", after.as_secs_f64()),
            None => format!("-{:.3}s", (self.stop_requested - at).as_secs_f64()),
        }
    }

    pub(super) fn show(&self, attempt: &Attempt) -> String {
        format!(
            "{:?} on {} at {} took {:?}: {:?} {:?} {}",
            attempt.kind,
            INSTANCES[attempt.instance],
            self.offset(attempt.started),
            attempt.took,
            attempt.status,
            attempt.code,
            attempt
                .body
                .as_ref()
                .map(Value::to_string)
                .unwrap_or_default()
        )
    }

    /// Overlapping any part of the outage, from `pg_ctl stop` to the server's return.
    pub(super) fn overlaps_outage(&self, attempt: &Attempt) -> bool {
        attempt.started < self.up && attempt.ended() > self.stop_requested
    }

    /// Wholly while the server was down.
    fn while_down(&self, attempt: &Attempt) -> bool {
        attempt.started >= self.down && attempt.ended() <= self.start_requested
    }

    /// Wholly between `pg_ctl stop` and `pg_ctl start`: the server was going or gone.
    fn while_stopped(&self, attempt: &Attempt) -> bool {
        attempt.started >= self.stop_requested && attempt.ended() <= self.start_requested
    }
}

/// At any time: an answer (no hang), never a 500, no code but SERVICE_UNAVAILABLE (and a
/// writer's VERSION_CONFLICT after a write it heard nothing of), no internal detail; before
/// the stop, everything served on both instances.
pub(super) fn check_answers(
    attempts: &[Attempt],
    anomalies: &[String],
    timeline: &Timeline,
    findings: &mut Findings,
) {
    for attempt in attempts {
        let shown = || timeline.show(attempt);
        let Ok(status) = attempt.status else {
            findings.0.push(format!("no answer: {}", shown()));
            continue;
        };
        let expected = match (attempt.kind, attempt.code.as_deref()) {
            (Kind::Readiness, _) => matches!(status, 200 | 503),
            (_, None) => status == 200,
            // The writer checks a conflict follows a write whose outcome it did not hear.
            (_, Some("SERVICE_UNAVAILABLE")) | (Kind::Write, Some("VERSION_CONFLICT")) => {
                status != 500
            }
            _ => false,
        };
        findings.check(expected, || format!("an unexpected answer: {}", shown()));
        if let Some(body) = attempt
            .body
            .as_ref()
            .filter(|body| body.get("errors").is_some())
        {
            let leaked = std::panic::catch_unwind(|| assert_no_internal_detail(body));
            findings.check(leaked.is_ok(), || format!("internal detail: {}", shown()));
            let message = body["errors"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .to_lowercase();
            for detail in DRIVER_DETAIL {
                findings.check(!message.contains(detail), || {
                    format!("{detail:?} leaked: {}", shown())
                });
            }
        }
        if attempt.ended() <= timeline.stop_requested {
            findings.check(attempt.succeeded(), || {
                format!("failed before the outage: {}", shown())
            });
        }
    }
    findings.0.extend(anomalies.iter().cloned());
}

/// While Postgres is away: no request overlapping the outage outlasts the bound by more
/// than the margin, no write is acknowledged, both instances refuse writes and reads of the
/// read tables with SERVICE_UNAVAILABLE, and their `/readyz` answers 503 naming the
/// database. And the load did reach both instances before.
pub(super) fn check_outage(
    attempts: &[Attempt],
    acks: &[Ack],
    timeline: &Timeline,
    findings: &mut Findings,
) {
    for attempt in attempts
        .iter()
        .filter(|attempt| timeline.overlaps_outage(attempt))
    {
        findings.check(attempt.took <= BOUND + MARGIN, || {
            format!(
                "outlasted {BOUND:?} + {MARGIN:?} during the outage: {}",
                timeline.show(attempt)
            )
        });
    }
    for ack in acks
        .iter()
        .filter(|ack| ack.started >= timeline.down && ack.ended <= timeline.start_requested)
    {
        findings.0.push(format!(
            "a write acknowledged while Postgres was down: {ack:?}"
        ));
    }
    for (instance, name) in INSTANCES.iter().enumerate() {
        let before = acks.iter().filter(|ack| {
            ack.instance == instance && ack.version > 1 && ack.ended <= timeline.stop_requested
        });
        findings.check(before.count() > 0, || {
            format!("no write acknowledged on {name} before the outage")
        });
        let on = |kind: Kind| {
            attempts
                .iter()
                .filter(move |attempt| attempt.instance == instance && attempt.kind == kind)
        };
        let down = |kind: Kind| on(kind).filter(|attempt| timeline.while_down(attempt));
        for kind in [Kind::Write, Kind::TableRead] {
            let refused = on(kind)
                .filter(|attempt| timeline.while_stopped(attempt))
                .filter(|attempt| attempt.code.as_deref() == Some("SERVICE_UNAVAILABLE"))
                .count();
            findings.check(refused > 0, || {
                let around: Vec<String> = on(kind)
                    .filter(|attempt| timeline.overlaps_outage(attempt))
                    .map(|attempt| timeline.show(attempt))
                    .collect();
                format!(
                    "no {kind:?} refused with SERVICE_UNAVAILABLE on {name} between pg_ctl stop \
                     and start (start at {}); those overlapping the outage: {around:#?}",
                    timeline.offset(timeline.start_requested),
                )
            });
        }
        findings.check(down(Kind::Readiness).count() > 0, || {
            let around: Vec<String> = on(Kind::Readiness)
                .filter(|attempt| timeline.overlaps_outage(attempt))
                .map(|attempt| timeline.show(attempt))
                .collect();
            format!(
                "no readiness probe on {name} both sent and answered while Postgres was down \
                 ({} to {}); those overlapping the outage: {around:#?}",
                timeline.offset(timeline.down),
                timeline.offset(timeline.start_requested),
            )
        });
        for probe in down(Kind::Readiness) {
            let body = probe.body.clone().unwrap_or_default();
            findings.check(
                probe.status == Ok(503)
                    && body["status"] == "unavailable"
                    && body["reason"]
                        .as_str()
                        .is_some_and(|reason| reason.contains("database")),
                || {
                    format!(
                        "/readyz while Postgres was down is not a 503 naming the database: {}",
                        timeline.show(probe)
                    )
                },
            );
        }
    }
}
