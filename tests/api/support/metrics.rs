//! Reading a server's Prometheus page.

use super::TestApp;

/// The sum of the samples of counter `name` whose labels include `labels`.
pub(crate) fn counter(metrics: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    metrics
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, series_labels) = series.split_once('{').unwrap_or((series, ""));
            let wanted = metric == name
                && labels
                    .iter()
                    .all(|(label, value)| series_labels.contains(&format!("{label}=\"{value}\"")));
            if wanted {
                value.parse::<f64>().ok()
            } else {
                None
            }
        })
        // From +0.0: `sum` of nothing is -0.0, which reads oddly in a failure.
        .fold(0.0, |sum, value| sum + value)
}

impl TestApp {
    /// The current sum of counter `name` over the series whose labels include `labels`.
    /// Only a server process's counters are its own: in-process servers share one recorder.
    pub(crate) async fn counter(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let response = self.get("/metrics").await;
        counter(&response.text().await.expect("a text body"), name, labels)
    }
}
