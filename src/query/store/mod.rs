//! The read tables, private to the read side: flat rows shaped like the answers.

pub mod checkpoints;
pub mod organization_profiles;
pub mod user_profiles;
