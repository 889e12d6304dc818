//! The read tables, private to the read side: flat rows shaped like the answers.

pub(super) mod checkpoints;
pub(super) mod organization_profiles;
pub(super) mod user_profiles;
