//! Validated value types: once parsed, a [`Name`], [`Email`] or [`Slug`] is always valid.
//!
//! They deserialize through the same parsing (an event or a row holding an invalid value
//! does not decode), and serialize as their plain string.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::DomainError;

const NAME_MAX_CHARS: usize = 200;
const EMAIL_MAX_CHARS: usize = 254;
const SLUG_MAX_CHARS: usize = 63;

/// Refuses text with control characters (NUL, escape sequences, line breaks inside a name):
/// no name, email or reason holds one legitimately, a terminal or log that shows them can be
/// misled by them, and Postgres cannot store NUL at all.
pub(super) fn printable(field: &'static str, text: &str) -> Result<(), DomainError> {
    if text.chars().any(char::is_control) {
        return Err(DomainError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// A display name: trimmed, 1 to 200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
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
        printable(field, trimmed)?;
        Ok(Self(trimmed.to_owned()))
    }
}

/// An email address: trimmed, lower-cased, at most 254 characters, syntactically valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
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

/// An organization's URL name: `^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`, that is lower-case
/// letters, digits and inner hyphens, 1 to 63 long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        let valid = (1..=SLUG_MAX_CHARS).contains(&raw.len())
            && raw.chars().all(allowed)
            && !raw.starts_with('-')
            && !raw.ends_with('-');
        if !valid {
            return Err(DomainError::invalid(
                "slug",
                "must be 1-63 lower-case letters, digits or inner hyphens",
            ));
        }
        Ok(Self(raw.to_owned()))
    }
}

/// A validated string's accessors and conversions, the same for every value type.
macro_rules! validated_string {
    ($($type:ident => |$raw:ident| $parse:expr),* $(,)?) => {
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
        }

        impl TryFrom<String> for $type {
            type Error = DomainError;

            fn try_from($raw: String) -> Result<Self, DomainError> {
                $parse
            }
        }

        impl From<$type> for String {
            fn from(value: $type) -> Self {
                value.0
            }
        })*
    };
}
validated_string!(
    Name => |raw| Name::parse("name", &raw),
    Email => |raw| Email::parse(&raw),
    Slug => |raw| Slug::parse(&raw),
);

/// The bad and good inputs the API tests use too.
#[cfg(test)]
#[path = "../../tests/fixtures/values.rs"]
#[allow(unreachable_pub, dead_code)]
mod fixtures;

#[cfg(test)]
mod tests {
    use super::*;

    use super::fixtures;

    #[test]
    fn a_name_is_trimmed() {
        assert_eq!(
            Name::parse("name", "  Ada Lovelace ").unwrap().as_str(),
            "Ada Lovelace"
        );
    }

    #[test]
    fn an_empty_or_blank_name_is_refused() {
        for raw in fixtures::BLANK_NAMES {
            assert_eq!(
                Name::parse("name", raw),
                Err(DomainError::invalid("name", "must not be empty"))
            );
        }
    }

    #[test]
    fn a_name_may_have_200_characters_but_not_201() {
        assert!(Name::parse("name", &"é".repeat(200)).is_ok());
        assert_eq!(
            Name::parse("name", &"é".repeat(201)),
            Err(DomainError::invalid(
                "name",
                "must be at most 200 characters"
            ))
        );
    }

    #[test]
    fn a_name_with_a_control_character_is_refused() {
        for raw in fixtures::NAMES_WITH_CONTROL_CHARACTERS {
            assert_eq!(
                Name::parse("name", raw),
                Err(DomainError::invalid(
                    "name",
                    "must not contain control characters"
                )),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn emoji_and_combining_characters_count_as_characters() {
        for raw in fixtures::UNUSUAL_NAMES {
            assert_eq!(Name::parse("name", raw).unwrap().as_str(), *raw);
        }
        // 200 characters of four bytes each.
        assert!(Name::parse("name", &"🦀".repeat(200)).is_ok());
        assert!(Name::parse("name", &"🦀".repeat(201)).is_err());
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
        for raw in fixtures::INVALID_EMAILS {
            assert_eq!(
                Email::parse(raw),
                Err(DomainError::invalid(
                    "email",
                    "is not a valid email address"
                )),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn an_email_may_have_254_characters_but_not_255() {
        let longest = fixtures::email_of_length(254);
        assert_eq!(Email::parse(&longest).unwrap().as_str(), longest);
        assert_eq!(
            Email::parse(&fixtures::email_of_length(255)),
            Err(DomainError::invalid(
                "email",
                "must be at most 254 characters"
            ))
        );
    }

    #[test]
    fn slugs_follow_the_contract_pattern() {
        for ok in fixtures::VALID_SLUGS {
            assert!(Slug::parse(ok).is_ok(), "{ok:?} was refused");
        }
        for bad in fixtures::INVALID_SLUGS {
            assert!(Slug::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn values_deserialize_through_their_parser() {
        let name: Name = serde_json::from_str(r#""  Ada ""#).unwrap();
        assert_eq!(name.as_str(), "Ada");
        assert!(serde_json::from_str::<Email>(r#""not an email""#).is_err());
        assert!(serde_json::from_str::<Slug>(r#""Acme""#).is_err());
        assert_eq!(serde_json::to_string(&name).unwrap(), r#""Ada""#);
    }
}
