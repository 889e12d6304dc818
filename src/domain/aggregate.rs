//! What every aggregate is: an identity, a version, and state that moves only by its events.

use uuid::Uuid;

pub trait Aggregate {
    type Event: Send + Sync;

    /// `user` or `organization`, for errors.
    const KIND: &'static str;

    fn id(&self) -> Uuid;

    /// 1 once created, one more for every event applied since.
    fn version(&self) -> i32;

    /// Moves the state by one event it decided earlier, and the version by one.
    fn apply(&mut self, event: &Self::Event);
}
