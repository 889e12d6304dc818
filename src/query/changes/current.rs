//! Changes rebuilt from the log carry the read side's current state (a replay, or an
//! instance publishing a batch another instance applied): the rows of a run of events are
//! read in one query per table, not one per event.

use super::{Change, ChangeStream, Subject};
use crate::event_log::RecordedEvent;
use crate::query::QueryError;

impl ChangeStream {
    /// The changes `events` describe, in order, each with the read side's current state
    /// (None for what is gone). Events the projector parked made no change: they are left
    /// out.
    pub(crate) async fn with_current_state(
        &self,
        events: &[&RecordedEvent],
    ) -> Result<Vec<Change>, QueryError> {
        let parked = self.parked.among(events).await?;
        let changes: Vec<Change> = events
            .iter()
            .filter(|recorded| !parked.contains(&recorded.position))
            .map(|recorded| Change::describe(recorded))
            .collect();
        let (mut user_ids, mut organization_ids) = (Vec::new(), Vec::new());
        for change in &changes {
            match &change.subject {
                Subject::User { user_id, .. } => user_ids.push(*user_id),
                Subject::Organization {
                    organization_id, ..
                } => organization_ids.push(*organization_id),
            }
        }
        let users = self.users.by_ids(&user_ids).await?;
        let organizations = self.organizations.by_ids(&organization_ids).await?;
        Ok(changes
            .into_iter()
            .map(|mut change| {
                match &mut change.subject {
                    Subject::User { user_id, user, .. } => *user = users.get(user_id).cloned(),
                    Subject::Organization {
                        organization_id,
                        organization,
                    } => *organization = organizations.get(organization_id).cloned(),
                }
                change
            })
            .collect())
    }
}
