//! The keys and rules tokens are signed and checked with: one pinned algorithm (HS256 with a
//! secret, or RS256 / ES256 with an identity provider's public key), a required `exp` with a
//! small leeway, and optional `iss` / `aud` checks.

use std::time::Duration;

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Serialize;

use super::{AuthError, Caller, Claims, Role};

/// The shortest secret accepted: an HS256 key is only as strong as its secret, and RFC 7518
/// asks for one at least as long as the hash (256 bits).
pub const MIN_SECRET_BYTES: usize = 32;

/// The DER encoding of the named curve P-256 (`prime256v1`, OID 1.2.840.10045.3.1.7), which
/// an ES256 public key's algorithm identifier names.
const P256_CURVE: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// The one algorithm a token must be signed with; a token naming any other (`none`
/// included) is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TokenAlgorithm {
    /// HMAC with SHA-256, with the shared secret.
    #[value(name = "HS256")]
    Hs256,
    /// RSA (PKCS#1 v1.5) with SHA-256, with an RSA public key.
    #[value(name = "RS256")]
    Rs256,
    /// ECDSA on P-256 with SHA-256, with a P-256 public key.
    #[value(name = "ES256")]
    Es256,
}

impl TokenAlgorithm {
    fn jwt(self) -> Algorithm {
        match self {
            Self::Hs256 => Algorithm::HS256,
            Self::Rs256 => Algorithm::RS256,
            Self::Es256 => Algorithm::ES256,
        }
    }
}

impl std::fmt::Display for TokenAlgorithm {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{:?}", self.jwt())
    }
}

/// What a token must satisfy besides its signature.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenRules {
    /// How long after its `exp` (or before its `nbf`) a token is still taken, for clocks
    /// that differ a little. Whole seconds.
    pub leeway: Duration,
    /// The `iss` a token must carry, when set.
    pub issuer: Option<String>,
    /// The audience a token's `aud` must name, when set.
    pub audience: Option<String>,
}

/// Why a public key file cannot check tokens.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("it is not a PEM file")]
    NotPem,
    #[error("it holds a {0}, not a public key (`BEGIN PUBLIC KEY`)")]
    NotAPublicKey(String),
    #[error("it is not an RSA public key, which RS256 needs")]
    NotRsa,
    #[error("it is not a P-256 EC public key, which ES256 needs")]
    NotP256,
    #[error("HS256 checks tokens with a secret, not a public key")]
    NotAsymmetric,
}

/// Why a token could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error(
        "tokens are checked with a public key (ROSTERQL_JWT_PUBLIC_KEY_FILE): they come from \
         the identity provider that holds its private key, rosterql cannot sign them"
    )]
    NoPrivateKey,
    #[error("signing the token: {0}")]
    Signing(#[from] jsonwebtoken::errors::Error),
}

/// The claims of a token this server signs.
#[derive(Serialize)]
struct SignedClaims<'a> {
    sub: &'a str,
    role: Role,
    exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<&'a str>,
}

/// Checks tokens (and signs them, with a secret) under one algorithm and one set of rules.
#[derive(Clone)]
pub struct TokenKeys {
    algorithm: Algorithm,
    /// None when tokens are checked with a public key: their private key is elsewhere.
    encoding: Option<EncodingKey>,
    decoding: DecodingKey,
    validation: Validation,
    rules: TokenRules,
}

impl TokenKeys {
    /// HS256 with `secret`.
    pub fn new(secret: &[u8], rules: &TokenRules) -> Self {
        Self::with(
            Algorithm::HS256,
            Some(EncodingKey::from_secret(secret)),
            DecodingKey::from_secret(secret),
            rules,
        )
    }

    /// `algorithm` (RS256 or ES256) with the public key in `pem`: checks tokens, cannot sign
    /// them.
    pub fn from_public_key(
        algorithm: TokenAlgorithm,
        pem: &[u8],
        rules: &TokenRules,
    ) -> Result<Self, KeyError> {
        let parsed = pem::parse(pem).map_err(|_| KeyError::NotPem)?;
        if !matches!(parsed.tag(), "PUBLIC KEY" | "RSA PUBLIC KEY") {
            return Err(KeyError::NotAPublicKey(parsed.tag().to_owned()));
        }
        let decoding = match algorithm {
            TokenAlgorithm::Hs256 => return Err(KeyError::NotAsymmetric),
            TokenAlgorithm::Rs256 => {
                DecodingKey::from_rsa_pem(pem).map_err(|_| KeyError::NotRsa)?
            }
            TokenAlgorithm::Es256 => {
                let names_p256 = parsed
                    .contents()
                    .windows(P256_CURVE.len())
                    .any(|window| window == P256_CURVE);
                if !names_p256 {
                    return Err(KeyError::NotP256);
                }
                DecodingKey::from_ec_pem(pem).map_err(|_| KeyError::NotP256)?
            }
        };
        Ok(Self::with(algorithm.jwt(), None, decoding, rules))
    }

    fn with(
        algorithm: Algorithm,
        encoding: Option<EncodingKey>,
        decoding: DecodingKey,
        rules: &TokenRules,
    ) -> Self {
        // Only `algorithm` is accepted: a token naming another one (an HS256 token "signed"
        // with the public key's bytes, or `none`, which jsonwebtoken does not even parse)
        // is refused before its signature is looked at.
        let mut validation = Validation::new(algorithm);
        validation.leeway = rules.leeway.as_secs();
        validation.validate_nbf = true;
        let mut required = vec!["exp", "sub"];
        if let Some(issuer) = &rules.issuer {
            validation.set_issuer(&[issuer]);
            required.push("iss");
        }
        match &rules.audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                required.push("aud");
            }
            // Not configured, not checked: a provider's token naming its audiences is fine.
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);
        Self {
            algorithm,
            encoding,
            decoding,
            validation,
            rules: rules.clone(),
        }
    }

    /// A token for `sub` with `role`, valid for `ttl`, carrying the configured issuer and
    /// audience.
    pub fn issue(&self, sub: &str, role: Role, ttl: Duration) -> Result<String, SignError> {
        let encoding = self.encoding.as_ref().ok_or(SignError::NoPrivateKey)?;
        let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
        let claims = SignedClaims {
            sub,
            role,
            exp: Utc::now().timestamp().saturating_add(ttl),
            iss: self.rules.issuer.as_deref(),
            aud: self.rules.audience.as_deref(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(self.algorithm),
            &claims,
            encoding,
        )?)
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
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::{Value, json};

    use super::*;

    const SECRET: &[u8] = b"a-secret-of-at-least-32-bytes-0123456789";

    /// A P-256 public key, as ES256 needs (its private key was thrown away).
    const P256_PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEoox/IJvYqEAvKN1BueNNcGcNlrdP
ZNh4ydn2Eon7rFJjQen6go+ODzhR7E50FjVdioNmYPOx1Hy+pvPK2al8iQ==
-----END PUBLIC KEY-----
";

    /// A P-384 public key: an EC key, on the wrong curve for ES256.
    const P384_PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEeZ55AZ4pOgru9xiikFjc/wC3yN+G4Wg/
/ICuyJiMV5EQXW7wwxaBgAI0nYmkQXpbglso0jVRHPVImY2KM2O4LAs4nPDBzzkm
9WZjdLcilNtwifItlU0IkAGFb4k5+g5/
-----END PUBLIC KEY-----
";

    fn keys(rules: &TokenRules) -> TokenKeys {
        TokenKeys::new(SECRET, rules)
    }

    fn now() -> i64 {
        Utc::now().timestamp()
    }

    /// An HS256 token over any `claims`, signed with [`SECRET`].
    fn signed(claims: &Value) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap()
    }

    fn admin_claims(exp: i64) -> Value {
        json!({ "sub": "ada", "role": "admin", "exp": exp })
    }

    #[test]
    fn an_issued_token_verifies_with_its_role() {
        let keys = keys(&TokenRules::default());
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
    fn no_header_is_anonymous() {
        assert_eq!(
            keys(&TokenRules::default()).caller(None),
            Ok(Caller::Anonymous)
        );
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let token = TokenKeys::new(b"other", &TokenRules::default())
            .issue("ada", Role::Admin, Duration::from_secs(60))
            .unwrap();
        let result = keys(&TokenRules::default()).caller(Some(&format!("Bearer {token}")));
        assert_eq!(result, Err(AuthError::InvalidToken));
    }

    #[test]
    fn an_unsigned_token_is_refused() {
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let claims = URL_SAFE_NO_PAD.encode(admin_claims(now() + 60).to_string());
        let keys = keys(&TokenRules::default());
        for token in [format!("{header}.{claims}."), format!("{header}.{claims}")] {
            assert_eq!(
                keys.verify(&token).map(|_| ()),
                Err(AuthError::InvalidToken)
            );
        }
    }

    #[test]
    fn a_token_of_another_hmac_algorithm_is_refused() {
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &admin_claims(now() + 60),
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        assert_eq!(
            keys(&TokenRules::default()).verify(&token).map(|_| ()),
            Err(AuthError::InvalidToken)
        );
    }

    #[test]
    fn a_token_without_exp_or_sub_is_refused() {
        let keys = keys(&TokenRules::default());
        for claims in [
            json!({ "sub": "ada", "role": "admin" }),
            json!({ "role": "admin", "exp": now() + 60 }),
        ] {
            assert_eq!(
                keys.verify(&signed(&claims)).map(|_| ()),
                Err(AuthError::InvalidToken),
                "{claims}"
            );
        }
    }

    #[test]
    fn an_expired_token_is_taken_within_the_leeway_only() {
        let rules = TokenRules {
            leeway: Duration::from_secs(5),
            ..TokenRules::default()
        };
        let keys = keys(&rules);
        assert!(keys.verify(&signed(&admin_claims(now() - 2))).is_ok());
        assert_eq!(
            keys.verify(&signed(&admin_claims(now() - 10))).map(|_| ()),
            Err(AuthError::InvalidToken)
        );
        let strict = self::keys(&TokenRules::default());
        assert_eq!(
            strict.verify(&signed(&admin_claims(now() - 2))).map(|_| ()),
            Err(AuthError::InvalidToken)
        );
    }

    #[test]
    fn a_token_not_valid_yet_is_refused() {
        let claims =
            json!({ "sub": "ada", "role": "admin", "exp": now() + 120, "nbf": now() + 60 });
        assert_eq!(
            keys(&TokenRules::default())
                .verify(&signed(&claims))
                .map(|_| ()),
            Err(AuthError::InvalidToken)
        );
    }

    #[test]
    fn the_issuer_and_audience_are_required_when_configured() {
        let rules = TokenRules {
            leeway: Duration::ZERO,
            issuer: Some("https://idp.example".into()),
            audience: Some("rosterql".into()),
        };
        let keys = keys(&rules);
        let exp = now() + 60;
        let with = |extra: Value| {
            let mut claims = admin_claims(exp);
            claims
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            keys.verify(&signed(&claims)).map(|_| ())
        };
        assert_eq!(
            with(json!({ "iss": "https://idp.example", "aud": "rosterql" })),
            Ok(())
        );
        assert_eq!(
            with(json!({ "iss": "https://idp.example", "aud": ["other", "rosterql"] })),
            Ok(())
        );
        for refused in [
            json!({ "iss": "https://evil.example", "aud": "rosterql" }),
            json!({ "aud": "rosterql" }),
            json!({ "iss": "https://idp.example", "aud": "other" }),
            json!({ "iss": "https://idp.example" }),
        ] {
            assert_eq!(
                with(refused.clone()),
                Err(AuthError::InvalidToken),
                "{refused}"
            );
        }
    }

    #[test]
    fn without_an_audience_configured_any_audience_is_taken() {
        let claims = json!({ "sub": "ada", "role": "admin", "exp": now() + 60, "aud": "anything" });
        assert!(
            keys(&TokenRules::default())
                .verify(&signed(&claims))
                .is_ok()
        );
    }

    #[test]
    fn an_issued_token_carries_the_configured_issuer_and_audience() {
        let rules = TokenRules {
            leeway: Duration::ZERO,
            issuer: Some("rosterql".into()),
            audience: Some("dashboards".into()),
        };
        let token = keys(&rules)
            .issue("ada", Role::Admin, Duration::from_secs(60))
            .unwrap();
        assert!(keys(&rules).verify(&token).is_ok());
        assert_eq!(
            keys(&TokenRules::default()).verify(&token).map(|_| ()),
            Ok(()),
            "iss and aud are only checked when configured"
        );
    }

    #[test]
    fn a_public_key_must_fit_its_algorithm() {
        let rules = TokenRules::default();
        let load = |algorithm, pem: &str| {
            TokenKeys::from_public_key(algorithm, pem.as_bytes(), &rules).map(|_| ())
        };
        assert_eq!(
            load(TokenAlgorithm::Rs256, "not a key"),
            Err(KeyError::NotPem)
        );
        assert_eq!(
            load(TokenAlgorithm::Es256, P384_PUBLIC_KEY),
            Err(KeyError::NotP256)
        );
        assert_eq!(
            load(TokenAlgorithm::Rs256, P384_PUBLIC_KEY),
            Err(KeyError::NotRsa)
        );
        assert_eq!(
            load(TokenAlgorithm::Hs256, P384_PUBLIC_KEY),
            Err(KeyError::NotAsymmetric)
        );
        let private = P384_PUBLIC_KEY.replace("PUBLIC KEY", "PRIVATE KEY");
        assert_eq!(
            load(TokenAlgorithm::Es256, &private),
            Err(KeyError::NotAPublicKey("PRIVATE KEY".into()))
        );
    }

    #[test]
    fn a_public_key_checks_tokens_but_cannot_sign_them() {
        let keys = TokenKeys::from_public_key(
            TokenAlgorithm::Es256,
            P256_PUBLIC_KEY.as_bytes(),
            &TokenRules::default(),
        )
        .unwrap();
        assert!(matches!(
            keys.issue("ada", Role::Admin, Duration::from_secs(60)),
            Err(SignError::NoPrivateKey)
        ));
        // An HS256 token "signed" with the public key's own bytes: algorithm confusion.
        let confused = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &admin_claims(now() + 60),
            &EncodingKey::from_secret(P256_PUBLIC_KEY.as_bytes()),
        )
        .unwrap();
        assert_eq!(
            keys.verify(&confused).map(|_| ()),
            Err(AuthError::InvalidToken)
        );
    }
}
