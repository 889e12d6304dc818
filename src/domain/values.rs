//! Validated value types: once parsed, a [`Name`], [`Email`] or [`Slug`] is always valid.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

use super::DomainError;

const NAME_MAX_CHARS: usize = 200;
const EMAIL_MAX_CHARS: usize = 254;

static SLUG_PATTERN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new("^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$").expect("the slug pattern compiles")
});

/// A display name: trimmed, 1 to 200 characters.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Name(String);

impl Name {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, DomainError> {
        let trimmed = raw.trim();
        let chars = trimmed.chars().count();
        if chars == 0 {
            return Err(DomainError::invalid(field, "must not be empty"));
        }
        if chars > NAME_MAX_CHARS {
            return Err(DomainError::invalid(
                field,
                format!("must be at most {NAME_MAX_CHARS} characters"),
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }
}

/// An email address: trimmed, lower-cased, at most 254 characters, syntactically valid.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let normalized = raw.trim().to_lowercase();
        if normalized.chars().count() > EMAIL_MAX_CHARS {
            return Err(DomainError::invalid(
                "email",
                format!("must be at most {EMAIL_MAX_CHARS} characters"),
            ));
        }
        let valid = email_address::EmailAddress::parse_with_options(
            &normalized,
            email_address::Options::default()
                .without_display_text()
                .without_domain_literal(),
        )
        .is_ok_and(|address| address.domain().contains('.'));
        if !valid {
            return Err(DomainError::invalid(
                "email",
                "is not a valid email address",
            ));
        }
        Ok(Self(normalized))
    }
}

/// An organization's URL name: lower-case letters, digits and inner hyphens, 1 to 63 long.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        if !SLUG_PATTERN.is_match(raw) {
            return Err(DomainError::invalid(
                "slug",
                "must be 1-63 lower-case letters, digits or inner hyphens",
            ));
        }
        Ok(Self(raw.to_owned()))
    }
}

/// A validated string's accessors, the same for every value type.
macro_rules! validated_string {
    ($($type:ty),*) => {
        $(impl $type {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        })*
    };
}
validated_string!(Name, Email, Slug);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_trimmed() {
        assert_eq!(
            Name::parse("name", "  Ada Lovelace ").unwrap().as_str(),
            "Ada Lovelace"
        );
    }

    #[test]
    fn an_empty_or_blank_name_is_refused() {
        for raw in ["", "   ", "\t\n"] {
            assert_eq!(
                Name::parse("name", raw),
                Err(DomainError::invalid("name", "must not be empty"))
            );
        }
    }

    #[test]
    fn a_name_may_have_200_characters_but_not_201() {
        assert!(Name::parse("name", &"é".repeat(200)).is_ok());
        assert!(Name::parse("name", &"é".repeat(201)).is_err());
    }

    #[test]
    fn an_email_is_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse(" Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
    }

    #[test]
    fn malformed_emails_are_refused() {
        for raw in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "Ada <ada@example.com>",
        ] {
            assert!(Email::parse(raw).is_err(), "{raw:?} was accepted");
        }
    }

    #[test]
    fn an_email_longer_than_254_characters_is_refused() {
        let long = format!("{}@example.com", "a".repeat(243));
        assert_eq!(long.len(), 255);
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn slugs_follow_the_contract_pattern() {
        for ok in ["a", "acme", "acme-corp", "a1", &"a".repeat(63)] {
            assert!(Slug::parse(ok).is_ok(), "{ok:?} was refused");
        }
        for bad in [
            "",
            "-acme",
            "acme-",
            "Acme",
            "acme corp",
            "acme_corp",
            &"a".repeat(64),
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
