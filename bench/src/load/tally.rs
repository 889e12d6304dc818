//! Counting what came back: every answer is classified ([`Outcome`]), successful ones
//! recorded in a latency histogram (microseconds), and a sample of the first failure kept so
//! the report can say what went wrong.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// How one request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// 200 with data and no `errors`.
    Ok,
    /// 200 whose body carries `errors` (or no data): a GraphQL error is an error.
    GraphqlError,
    /// A write refused with `VERSION_CONFLICT`: counted apart, not an error of the service.
    Conflict,
    /// Any status but 200.
    HttpError,
}

/// Latencies in microseconds, from 1 µs to 5 minutes, 3 significant digits.
pub(crate) fn histogram() -> anyhow::Result<Histogram<u64>> {
    Ok(Histogram::new_with_bounds(1, 300_000_000, 3)?)
}

/// One worker's (or a whole run's) counts.
#[derive(Debug, Clone)]
pub(crate) struct Tally {
    pub ok: u64,
    pub graphql_errors: u64,
    pub conflicts: u64,
    pub http_errors: u64,
    /// Requests that got no answer at all (connection refused, reset, closed).
    pub transport_errors: u64,
    pub latency: Histogram<u64>,
    pub first_error: Option<String>,
}

impl Tally {
    pub(crate) fn new() -> anyhow::Result<Self> {
        Ok(Self {
            ok: 0,
            graphql_errors: 0,
            conflicts: 0,
            http_errors: 0,
            transport_errors: 0,
            latency: histogram()?,
            first_error: None,
        })
    }

    pub(crate) fn record(&mut self, outcome: Outcome, latency: Duration, body: &[u8]) {
        match outcome {
            Outcome::Ok => {
                self.ok += 1;
                self.latency
                    .saturating_record(latency.as_micros().try_into().unwrap_or(u64::MAX));
            }
            Outcome::Conflict => self.conflicts += 1,
            Outcome::GraphqlError => {
                self.graphql_errors += 1;
                self.sample(body);
            }
            Outcome::HttpError => {
                self.http_errors += 1;
                self.sample(body);
            }
        }
    }

    pub(crate) fn transport_error(&mut self, error: &anyhow::Error) {
        self.transport_errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(format!("{error:#}"));
        }
    }

    fn sample(&mut self, body: &[u8]) {
        if self.first_error.is_none() {
            let text = String::from_utf8_lossy(body);
            self.first_error = Some(text.chars().take(400).collect());
        }
    }

    pub(crate) fn merge(&mut self, other: Tally) {
        self.ok += other.ok;
        self.graphql_errors += other.graphql_errors;
        self.conflicts += other.conflicts;
        self.http_errors += other.http_errors;
        self.transport_errors += other.transport_errors;
        // Both histograms have the same bounds, so adding cannot fail.
        let _ = self.latency.add(&other.latency);
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    /// The figures a report shows, over a measured window of `seconds`.
    pub(crate) fn summary(&self, seconds: f64) -> LoadSummary {
        let ms = |micros: u64| micros as f64 / 1000.0;
        let empty = self.latency.is_empty();
        let quantile = |q: f64| {
            if empty {
                0.0
            } else {
                ms(self.latency.value_at_quantile(q))
            }
        };
        LoadSummary {
            seconds,
            ok: self.ok,
            per_second: if seconds > 0.0 {
                self.ok as f64 / seconds
            } else {
                0.0
            },
            p50_ms: quantile(0.50),
            p90_ms: quantile(0.90),
            p99_ms: quantile(0.99),
            max_ms: if empty { 0.0 } else { ms(self.latency.max()) },
            mean_ms: if empty {
                0.0
            } else {
                self.latency.mean() / 1000.0
            },
            graphql_errors: self.graphql_errors,
            http_errors: self.http_errors,
            transport_errors: self.transport_errors,
            conflicts: self.conflicts,
            first_error: self.first_error.clone(),
        }
    }
}

/// Throughput and latency of a measured window, as reported.
#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct LoadSummary {
    pub seconds: f64,
    /// Successful requests (200, data, no `errors`).
    pub ok: u64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
    pub graphql_errors: u64,
    pub http_errors: u64,
    pub transport_errors: u64,
    pub conflicts: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
}

impl LoadSummary {
    pub(crate) fn errors(&self) -> u64 {
        self.graphql_errors + self.http_errors + self.transport_errors
    }
}
