//! Bearer tokens: JWTs with `sub`, `role` (`admin` or `viewer`) and `exp`, signed with
//! HS256 and the configured secret or by an identity provider (RS256 / ES256, checked with
//! its public key), and who they make the caller.
//!
//! No token means an anonymous caller; a token that is malformed, expired or signed with
//! another key or algorithm is refused, never taken as anonymous.

mod keys;

pub use keys::{KeyError, MIN_SECRET_BYTES, SignError, TokenAlgorithm, TokenKeys, TokenRules};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Viewer,
}

/// The claims a token is checked for (its registered ones, `iss` and `aud`, are checked by
/// [`TokenKeys`]).
#[derive(Debug, Clone, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    pub exp: i64,
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Anonymous,
    Authenticated {
        sub: String,
        role: Role,
        expires_at: i64,
    },
}

impl Caller {
    pub fn is_admin(&self) -> bool {
        matches!(
            self,
            Self::Authenticated {
                role: Role::Admin,
                ..
            }
        )
    }

    /// Admins pass; anonymous callers must sign in, everyone else is refused.
    pub fn require_admin(&self) -> Result<(), AccessError> {
        match self {
            caller if caller.is_admin() => Ok(()),
            Self::Anonymous => Err(AccessError::SignInRequired),
            Self::Authenticated { .. } => Err(AccessError::AdminOnly),
        }
    }

    pub fn sub(&self) -> Option<&str> {
        match self {
            Self::Anonymous => None,
            Self::Authenticated { sub, .. } => Some(sub),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the Authorization header must be `Bearer <token>`")]
    Malformed,
    #[error("the token is invalid or expired")]
    InvalidToken,
}

/// A caller asked for what its role does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    #[error("sign in as an admin to do this")]
    SignInRequired,
    #[error("only admins may do this")]
    AdminOnly,
    #[error("only admins may read emails")]
    EmailHidden,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(b"secret", &TokenRules::default())
    }

    fn caller(role: Role) -> Caller {
        let keys = keys();
        let token = keys.issue("ada", role, Duration::from_secs(60)).unwrap();
        keys.caller(Some(&format!("Bearer {token}"))).unwrap()
    }

    #[test]
    fn an_authenticated_caller_is_its_tokens_subject_and_anonymous_is_nobody() {
        assert_eq!(caller(Role::Admin).sub(), Some("ada"));
        assert_eq!(Caller::Anonymous.sub(), None);
    }

    #[test]
    fn only_admins_pass_the_admin_check() {
        assert_eq!(caller(Role::Admin).require_admin(), Ok(()));
        assert_eq!(
            caller(Role::Viewer).require_admin(),
            Err(AccessError::AdminOnly)
        );
        assert_eq!(
            Caller::Anonymous.require_admin(),
            Err(AccessError::SignInRequired)
        );
    }

    #[test]
    fn other_schemes_are_malformed() {
        let keys = keys();
        assert_eq!(keys.caller(Some("Basic abc")), Err(AuthError::Malformed));
        assert_eq!(keys.caller(Some("Bearer")), Err(AuthError::Malformed));
    }
}
