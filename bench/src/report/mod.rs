//! The report: issue 8's targets checked against a run's figures ([`targets`]), and the
//! Markdown written beside `bench.json` ([`markdown`]).

pub(crate) mod format;
pub(crate) mod markdown;
pub(crate) mod targets;
