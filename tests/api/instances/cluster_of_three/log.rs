//! The event log, read from the command tables, and what must hold against it: its user
//! changes are what every listener must have received, and every rename acknowledged under
//! load is in it.

use std::collections::HashSet;

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use super::load::Tally;
use crate::support::SeenChange;

/// `"<tx>.<seq>"` as the pair it orders by.
pub(super) fn order_key(position: &str) -> (i64, i64) {
    position
        .split_once('.')
        .and_then(|(tx, seq)| Some((tx.parse().ok()?, seq.parse().ok()?)))
        .unwrap_or_else(|| panic!("not a position: {position:?}"))
}

/// One event of the log.
pub(super) struct LoggedEvent {
    pub(super) position: String,
    pub(super) aggregate_type: String,
    pub(super) aggregate_id: String,
    pub(super) version: i64,
    pub(super) event_type: String,
}

/// The event log in its order, `(tx_id, position)`, read from the command tables.
pub(super) async fn event_log(db: &DatabaseConnection) -> Vec<LoggedEvent> {
    let statement = Statement::from_string(
        db.get_database_backend(),
        "SELECT tx_id::text::bigint AS tx, position AS seq, aggregate_type,
                aggregate_id::text AS aggregate_id, aggregate_version, event_type
         FROM events ORDER BY tx_id, position",
    );
    db.query_all_raw(statement)
        .await
        .expect("reading the event log")
        .into_iter()
        .map(|row| {
            let tx: i64 = row.try_get("", "tx").expect("tx");
            let seq: i64 = row.try_get("", "seq").expect("seq");
            LoggedEvent {
                position: format!("{tx}.{seq}"),
                aggregate_type: row.try_get("", "aggregate_type").expect("aggregate_type"),
                aggregate_id: row.try_get("", "aggregate_id").expect("aggregate_id"),
                version: i64::from(
                    row.try_get::<i32>("", "aggregate_version")
                        .expect("aggregate_version"),
                ),
                event_type: row.try_get("", "event_type").expect("event_type"),
            }
        })
        .collect()
}

/// The log's user changes after `start`, as a listener following from `start` receives them.
pub(super) fn user_changes_after(log: &[LoggedEvent], start: &str) -> Vec<SeenChange> {
    let start_key = order_key(start);
    log.iter()
        .filter(|event| event.aggregate_type == "user" && order_key(&event.position) > start_key)
        .map(|event| SeenChange {
            position: event.position.clone(),
            user_id: event.aggregate_id.clone(),
            event: event.event_type.clone(),
        })
        .collect()
}

/// Every rename acknowledged under load is in the log, after `start`.
pub(super) fn assert_acknowledged_renames_logged(log: &[LoggedEvent], start: &str, tally: &Tally) {
    let start_key = order_key(start);
    let logged: HashSet<(&str, i64)> = log
        .iter()
        .filter(|event| event.event_type == "UserRenamed" && order_key(&event.position) > start_key)
        .map(|event| (event.aggregate_id.as_str(), event.version))
        .collect();
    let unlogged: Vec<_> = tally
        .acknowledged
        .iter()
        .filter(|write| !logged.contains(&(write.user_id.as_str(), write.version)))
        .map(|write| (&write.user_id, write.version))
        .collect();
    assert!(
        unlogged.is_empty(),
        "acknowledged renames missing from the log: {unlogged:?}"
    );
}
