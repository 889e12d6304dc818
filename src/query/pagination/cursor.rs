//! Opaque cursors: a row's place in one ordering, as clients hand it back.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use crate::query::QueryError;

/// A row's place in one ordering. Encoded as base64 of `ordering`, `id` and `key` on lines
/// of their own (the key last: it is the only part that may hold a line break).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Cursor {
    /// The ordering this cursor belongs to.
    pub(super) ordering: String,
    /// The sort key, as text.
    pub(super) key: String,
    pub(super) id: Uuid,
}

impl Cursor {
    pub(super) fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}\n{}\n{}", self.ordering, self.id, self.key))
    }

    pub(super) fn decode(
        field: &'static str,
        text: &str,
        ordering: &str,
    ) -> Result<Self, QueryError> {
        let invalid = || QueryError::invalid(field, "is not a cursor of this list");
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let mut parts = text.splitn(3, '\n');
        let (Some(found), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(invalid());
        };
        if found != ordering {
            return Err(invalid());
        }
        Ok(Self {
            ordering: found.to_owned(),
            key: key.to_owned(),
            id: Uuid::parse_str(id).map_err(|_| invalid())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_even_with_a_line_break_in_its_key() {
        let cursor = Cursor {
            ordering: "NAME_ASC".into(),
            key: "ada\nlovelace".into(),
            id: Uuid::now_v7(),
        };
        let decoded = Cursor::decode("after", &cursor.encode(), "NAME_ASC").unwrap();
        assert_eq!(decoded, cursor);
    }
}
