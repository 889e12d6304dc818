//! `ReadModelStatus`: how far the read side trails the command side.

use async_graphql::SimpleObject;

use crate::query::ReadModelStatus as Status;

#[derive(SimpleObject)]
pub(crate) struct ReadModelStatus {
    /// The last event applied to the read side, as this instance knows it.
    pub position: String,
    /// The last event committed on the command side.
    pub head_position: String,
    pub lag_events: i32,
    /// Age of the oldest event not yet applied; 0 when caught up.
    pub lag_seconds: f64,
    /// Events the projector could not apply and set aside.
    pub parked_events: i32,
    /// The instance that answered (`ROSTERQL_INSTANCE`).
    pub instance: String,
    /// The instance whose projector applies the event log; null while none does (one
    /// takes over within `ROSTERQL_LEADER_RETRY`).
    pub leader: Option<String>,
}

impl From<Status> for ReadModelStatus {
    fn from(status: Status) -> Self {
        Self {
            position: status.position.to_string(),
            head_position: status.head_position.to_string(),
            lag_events: i32::try_from(status.lag_events).unwrap_or(i32::MAX),
            lag_seconds: status.lag_seconds,
            parked_events: i32::try_from(status.parked_events).unwrap_or(i32::MAX),
            instance: status.instance,
            leader: status.leader,
        }
    }
}
