//! Bearer tokens: HS256 JWTs with `sub`, `role` (`admin` or `viewer`) and `exp`.
//!
//! No token means an anonymous caller; a token that is malformed, expired or signed with
//! another secret is refused, never taken as anonymous.

use std::time::Duration;

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Viewer,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
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

/// The shortest secret accepted: an HS256 key is only as strong as its secret, and RFC 7518
/// asks for one at least as long as the hash (256 bits).
pub const MIN_SECRET_BYTES: usize = 32;

/// Signs and checks tokens with one secret.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl TokenKeys {
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    pub fn issue(
        &self,
        sub: &str,
        role: Role,
        ttl: Duration,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
        let claims = Claims {
            sub: sub.to_owned(),
            role,
            exp: Utc::now().timestamp().saturating_add(ttl),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    pub fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| AuthError::InvalidToken)
    }

    /// The caller an `Authorization` value (or its absence) stands for.
    pub fn caller(&self, authorization: Option<&str>) -> Result<Caller, AuthError> {
        let Some(value) = authorization else {
            return Ok(Caller::Anonymous);
        };
        let (scheme, token) = value.trim().split_once(' ').ok_or(AuthError::Malformed)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::Malformed);
        }
        let claims = self.verify(token.trim())?;
        Ok(Caller::Authenticated {
            sub: claims.sub,
            role: claims.role,
            expires_at: claims.exp,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issued_token_verifies_with_its_role() {
        let keys = TokenKeys::new(b"secret");
        let token = keys
            .issue("ada", Role::Viewer, Duration::from_secs(60))
            .unwrap();
        let caller = keys.caller(Some(&format!("Bearer {token}"))).unwrap();
        assert!(
            matches!(caller, Caller::Authenticated { ref sub, role: Role::Viewer, .. } if sub == "ada")
        );
        assert!(!caller.is_admin());
    }

    #[test]
    fn an_authenticated_caller_is_its_tokens_subject_and_anonymous_is_nobody() {
        let keys = TokenKeys::new(b"secret");
        let token = keys
            .issue("ada", Role::Admin, Duration::from_secs(60))
            .unwrap();
        let caller = keys.caller(Some(&format!("Bearer {token}"))).unwrap();
        assert_eq!(caller.sub(), Some("ada"));
        assert_eq!(Caller::Anonymous.sub(), None);
    }

    #[test]
    fn no_header_is_anonymous() {
        assert_eq!(
            TokenKeys::new(b"secret").caller(None),
            Ok(Caller::Anonymous)
        );
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let token = TokenKeys::new(b"other")
            .issue("ada", Role::Admin, Duration::from_secs(60))
            .unwrap();
        let result = TokenKeys::new(b"secret").caller(Some(&format!("Bearer {token}")));
        assert_eq!(result, Err(AuthError::InvalidToken));
    }

    #[test]
    fn an_expired_token_is_refused() {
        let keys = TokenKeys::new(b"secret");
        let claims = Claims {
            sub: "ada".into(),
            role: Role::Admin,
            exp: Utc::now().timestamp() - 1,
        };
        let token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding).unwrap();
        assert_eq!(
            keys.verify(&token).map(|_| ()),
            Err(AuthError::InvalidToken)
        );
    }

    #[test]
    fn only_admins_pass_the_admin_check() {
        let keys = TokenKeys::new(b"secret");
        let caller = |role| {
            let token = keys.issue("ada", role, Duration::from_secs(60)).unwrap();
            keys.caller(Some(&format!("Bearer {token}"))).unwrap()
        };
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
        let keys = TokenKeys::new(b"secret");
        assert_eq!(keys.caller(Some("Basic abc")), Err(AuthError::Malformed));
        assert_eq!(keys.caller(Some("Bearer")), Err(AuthError::Malformed));
    }
}
