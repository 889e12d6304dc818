//! What the instances say of themselves in `readModel`: which of them leads, and whether
//! they all caught up with the log; and the leader gauge each exports.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use super::{CATCH_UP, LOG_TAIL, NAMES};
use crate::support::{Cluster, ClusterView, text};

pub(super) const READ_MODEL: &str =
    "{ readModel { position headPosition lagEvents instance leader } }";

/// Every instance's `readModel`, or why one did not answer.
async fn read_models(view: &ClusterView) -> Result<Vec<Value>, String> {
    let mut models = Vec::new();
    for index in 0..view.len() {
        let endpoint = view
            .state(index)
            .endpoint
            .ok_or_else(|| format!("{} is down", view.name(index)))?;
        let body = view
            .graphql(&endpoint, &[], READ_MODEL, json!({}))
            .await
            .map_err(|why| format!("{}: {why}", view.up_or_exited(index)))?;
        if body.get("errors").is_some() {
            return Err(format!("{}: {body}", view.name(index)));
        }
        models.push(body["data"]["readModel"].clone());
    }
    Ok(models)
}

/// Asks every instance's `readModel` until `settled` finds in them what it waits for, and
/// returns that; fails the test with `never` after [`CATCH_UP`].
async fn until_read_models<T>(
    cluster: &Cluster,
    never: &str,
    settled: impl Fn(&[Value]) -> Option<T>,
) -> T {
    let view = cluster.view();
    let deadline = Instant::now() + CATCH_UP;
    let mut last = Err("not asked yet".to_owned());
    while Instant::now() < deadline {
        last = read_models(&view).await;
        if let Some(found) = last.as_deref().ok().and_then(&settled) {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{never}: {last:?}\n{}", cluster.logs(LOG_TAIL));
}

/// Waits until every instance names itself, and all name one and the same leader among
/// them; returns the leader's index.
pub(super) async fn one_leader(cluster: &Cluster) -> usize {
    let view = cluster.view();
    let never = format!("the instances never agreed on one leader among {NAMES:?}");
    until_read_models(cluster, &never, |models| {
        for (index, model) in models.iter().enumerate() {
            assert_eq!(
                model["instance"],
                view.name(index),
                "readModel.instance: {model}"
            );
        }
        let leader = models[0]["leader"].as_str().unwrap_or_default();
        let agreed = models.iter().all(|model| model["leader"] == leader);
        NAMES
            .iter()
            .position(|name| *name == leader)
            .filter(|_| agreed)
    })
    .await
}

/// Waits until all instances report one position, equal to the head of the log; returns it.
pub(super) async fn converged(cluster: &Cluster) -> String {
    let never = "the instances never caught up with the log together";
    until_read_models(cluster, never, |models| {
        let head = &models[0]["headPosition"];
        models
            .iter()
            .all(|model| {
                model["position"] == *head
                    && model["headPosition"] == *head
                    && model["lagEvents"] == 0
            })
            .then(|| text(head))
    })
    .await
}

/// After one leader: `rosterql_projector_leader` becomes 1 on it and 0 on the others (the
/// leader sets it just after taking the lock the others already see it holds).
pub(super) async fn assert_leader_gauges(cluster: &Cluster, leader: usize) {
    let expected: Vec<f64> = (0..NAMES.len())
        .map(|index| if index == leader { 1.0 } else { 0.0 })
        .collect();
    let deadline = Instant::now() + CATCH_UP;
    loop {
        let mut gauges = Vec::new();
        for index in 0..NAMES.len() {
            let gauge = cluster
                .app(index)
                .counter("rosterql_projector_leader", &[])
                .await;
            gauges.push(gauge);
        }
        if gauges == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "rosterql_projector_leader on {NAMES:?}: {gauges:?}, not {expected:?} (the leader \
             is {})",
            NAMES[leader]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
