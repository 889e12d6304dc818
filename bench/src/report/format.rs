//! How figures are printed in the report.

use crate::lag::LagSummary;
use crate::load::LoadSummary;

/// 17234.5 → "17,235".
pub(crate) fn count(value: f64) -> String {
    let rounded = value.round() as i64;
    let digits = rounded.abs().to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    if rounded < 0 { format!("-{out}") } else { out }
}

/// Milliseconds with sensible precision.
pub(crate) fn ms(value: f64) -> String {
    if value >= 100.0 {
        format!("{} ms", count(value))
    } else if value >= 10.0 {
        format!("{value:.1} ms")
    } else {
        format!("{value:.2} ms")
    }
}

pub(crate) fn ratio(value: f64) -> String {
    format!("{value:.2}×")
}

/// "17,235/s, p50 1.20 ms, p99 7.70 ms" plus the errors when there were any.
pub(crate) fn load(summary: &LoadSummary) -> String {
    let mut text = format!(
        "{}/s, p50 {}, p99 {}",
        count(summary.per_second),
        ms(summary.p50_ms),
        ms(summary.p99_ms)
    );
    if summary.errors() > 0 {
        text.push_str(&format!(", **{} errors**", summary.errors()));
    }
    text
}

pub(crate) fn lag(summary: &LagSummary) -> String {
    let mut text = format!(
        "lag p50 {}, p99 {}, max {}",
        ms(summary.p50_ms),
        ms(summary.p99_ms),
        ms(summary.max_ms)
    );
    if summary.missing > 0 {
        text.push_str(&format!(", **{} events missing**", summary.missing));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(count(17234.5), "17,235");
        assert_eq!(count(999.0), "999");
        assert_eq!(count(1_000_000.0), "1,000,000");
    }
}
