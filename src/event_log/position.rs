//! Where an event stands in the log's total order.

use std::fmt;
use std::str::FromStr;

/// `(tx, seq)`: the writing transaction (always 0 on SQLite) and the event's sequence
/// number. Ordered first by transaction, then by sequence. Clients see it as an opaque
/// string; only the server compares positions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub tx: i64,
    pub seq: i64,
}

impl Position {
    /// Before the first event.
    pub const ORIGIN: Self = Self { tx: 0, seq: 0 };
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.tx, self.seq)
    }
}

/// The string was not a position this server handed out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid position")]
pub struct InvalidPosition;

/// Only the form [`Display`](fmt::Display) writes is a position: `<tx>.<seq>`, each part
/// in decimal without sign, spaces or leading zeros. Anything else is no string this server
/// handed out, however it would read as numbers.
impl FromStr for Position {
    type Err = InvalidPosition;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (tx, seq) = text.split_once('.').ok_or(InvalidPosition)?;
        Ok(Self {
            tx: canonical_number(tx)?,
            seq: canonical_number(seq)?,
        })
    }
}

/// A part of a position: `0`, or ASCII digits not starting with `0`, within `i64`.
fn canonical_number(digits: &str) -> Result<i64, InvalidPosition> {
    let canonical = digits.bytes().all(|byte| byte.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    match digits.parse() {
        Ok(number) if canonical => Ok(number),
        _ => Err(InvalidPosition),
    }
}

/// Positions travel as their string (in announcements between instances).
impl serde::Serialize for Position {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Position {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_round_trips_through_its_string() {
        let position = Position { tx: 7_123, seq: 42 };
        assert_eq!(position.to_string().parse(), Ok(position));
    }

    #[test]
    fn positions_order_by_transaction_first() {
        assert!(Position { tx: 1, seq: 9 } < Position { tx: 2, seq: 3 });
        assert!(Position { tx: 2, seq: 3 } < Position { tx: 2, seq: 4 });
    }

    #[test]
    fn zero_parts_are_positions_too() {
        assert_eq!("0.0".parse(), Ok(Position::ORIGIN));
        assert_eq!("0.7".parse(), Ok(Position { tx: 0, seq: 7 }));
        assert_eq!("7.0".parse(), Ok(Position { tx: 7, seq: 0 }));
    }

    #[test]
    fn garbage_is_not_a_position() {
        for text in ["", "1", ".", "1.", ".2", "a.b", "1.2.3", "-1.2", "1.-2"] {
            assert_eq!(text.parse::<Position>(), Err(InvalidPosition), "{text:?}");
        }
    }

    #[test]
    fn only_the_canonical_form_is_a_position() {
        let loose = [
            "+1.2", "1.+2", "01.2", "1.02", "00.2", "1.00", "-0.0", " 1.2", "1.2 ", "1 .2", "1. 2",
            "1.2\n", "1_0.2", "0x1.2", "１.２",
        ];
        for text in loose {
            assert_eq!(text.parse::<Position>(), Err(InvalidPosition), "{text:?}");
        }
    }

    #[test]
    fn parts_beyond_i64_are_not_positions() {
        assert_eq!(
            format!("{}.0", i64::MAX).parse(),
            Ok(Position {
                tx: i64::MAX,
                seq: 0
            })
        );
        for text in ["9223372036854775808.0", "0.9223372036854775808"] {
            assert_eq!(text.parse::<Position>(), Err(InvalidPosition), "{text:?}");
        }
    }
}
