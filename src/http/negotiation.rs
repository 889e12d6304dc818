//! The media types of GraphQL over HTTP: which one a response is written in, chosen from the
//! request's `Accept` header, and which request bodies are read at all.
//!
//! Responses are `application/graphql-response+json` or `application/json`, always UTF-8.
//! A client that names `application/graphql-response+json` gets it unless it prefers
//! `application/json`; one that names neither (no `Accept`, `*/*`) gets `application/json`,
//! what clients from before `application/graphql-response+json` understand (the
//! `graphql-http` audit's SHOULD). A POST body must be `application/json`
//! in UTF-8: the content types a browser may send cross-site without asking first
//! (`text/plain`, forms, multipart) are refused, so no page can make a visitor's browser run
//! an operation (CSRF).

use axum::http::{HeaderMap, HeaderValue, header};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// The media type a GraphQL response is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MediaType {
    /// `application/graphql-response+json`: the status code tells whether the request ran.
    GraphQLResponseJson,
    /// `application/json`, for legacy clients: every GraphQL response is a 200.
    Json,
}

impl MediaType {
    pub(super) fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::GraphQLResponseJson => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        })
    }

    /// The type the client prefers among those it accepts, by quality; on a tie
    /// `application/graphql-response+json` if the client named it, else `application/json`.
    /// None when it accepts neither (406). With no `Accept` header, `application/json`.
    pub(super) fn negotiate(headers: &HeaderMap) -> Option<Self> {
        let ranges: Vec<MediaRange> = headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(MediaRange::parse)
            .collect();
        if ranges.is_empty() {
            return Some(Self::Json);
        }
        let graphql = quality(&ranges, GRAPHQL_RESPONSE_JSON);
        let json = quality(&ranges, JSON);
        let named = ranges
            .iter()
            .any(|range| range.utf8 && range.essence == GRAPHQL_RESPONSE_JSON);
        match (graphql, json) {
            (0, 0) => None,
            (graphql, json) if graphql > json || (graphql == json && named) => {
                Some(Self::GraphQLResponseJson)
            }
            _ => Some(Self::Json),
        }
    }
}

/// True when `headers` label the body `application/json` in UTF-8 (no charset means UTF-8).
pub(super) fn is_json_body(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    MediaRange::parse(value).is_some_and(|range| range.essence == JSON && range.utf8)
}

/// One entry of an `Accept` (or `Content-Type`) header.
struct MediaRange {
    /// `type/subtype`, lower-cased.
    essence: String,
    /// Quality in thousandths (`q=0.5` is 500).
    quality: u16,
    /// No charset, or UTF-8.
    utf8: bool,
}

impl MediaRange {
    fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split(';');
        let essence = parts.next()?.trim().to_ascii_lowercase();
        if essence.is_empty() {
            return None;
        }
        let mut range = Self {
            essence,
            quality: 1000,
            utf8: true,
        };
        for parameter in parts {
            let Some((name, value)) = parameter.split_once('=') else {
                continue;
            };
            let value = value.trim().trim_matches('"');
            match name.trim().to_ascii_lowercase().as_str() {
                "q" => range.quality = parse_quality(value)?,
                "charset" => range.utf8 = value.eq_ignore_ascii_case("utf-8"),
                _ => {}
            }
        }
        Some(range)
    }

    /// How closely the range names `essence`: 3 exactly, 2 by its type (`application/*`),
    /// 1 as `*/*`, 0 not at all.
    fn specificity(&self, essence: &str) -> u8 {
        if self.essence == essence {
            3
        } else if self.essence == "*/*" {
            1
        } else if self
            .essence
            .strip_suffix("/*")
            .is_some_and(|kind| essence.split('/').next() == Some(kind))
        {
            2
        } else {
            0
        }
    }
}

/// `q` as thousandths: `1`, `0.5`, `0.125`; None when it is no quality value.
fn parse_quality(text: &str) -> Option<u16> {
    let value: f32 = text.parse().ok()?;
    if !(0.0..=1.0).contains(&value) {
        return None;
    }
    // In range 0–1000 by the check above.
    Some((value * 1000.0).round() as u16)
}

/// The quality the client gives `essence`: that of the most specific range naming it (in
/// UTF-8), 0 when none does.
fn quality(ranges: &[MediaRange], essence: &str) -> u16 {
    ranges
        .iter()
        .filter(|range| range.utf8)
        .map(|range| (range.specificity(essence), range.quality))
        .filter(|(specificity, _)| *specificity > 0)
        .max_by_key(|(specificity, quality)| (*specificity, *quality))
        .map_or(0, |(_, quality)| quality)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepting(accept: &str) -> Option<MediaType> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap());
        MediaType::negotiate(&headers)
    }

    #[test]
    fn the_client_gets_the_type_it_prefers() {
        use MediaType::{GraphQLResponseJson, Json};
        for (accept, expected) in [
            ("application/json", Some(Json)),
            ("application/json; charset=utf-8", Some(Json)),
            (
                "application/graphql-response+json",
                Some(GraphQLResponseJson),
            ),
            (
                "application/graphql-response+json, application/json",
                Some(GraphQLResponseJson),
            ),
            (
                "application/json, application/graphql-response+json",
                Some(GraphQLResponseJson),
            ),
            (
                "application/graphql-response+json;q=0.9, application/json",
                Some(Json),
            ),
            ("*/*", Some(Json)),
            ("application/*", Some(Json)),
            (
                "application/graphql-response+json, */*",
                Some(GraphQLResponseJson),
            ),
            ("application/json, */*;q=0.5", Some(Json)),
            ("application/graphql-response+json;q=0, */*", Some(Json)),
            (
                "application/graphql-response+json;q=0.9, */*;q=0.5",
                Some(GraphQLResponseJson),
            ),
            (
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                Some(Json),
            ),
            ("", Some(Json)),
            ("text/html", None),
            (
                "application/graphql-response+json; charset=iso-8859-1",
                None,
            ),
            ("application/json;q=0", None),
        ] {
            assert_eq!(accepting(accept), expected, "Accept: {accept}");
        }
    }

    #[test]
    fn no_accept_header_gets_json() {
        assert_eq!(
            MediaType::negotiate(&HeaderMap::new()),
            Some(MediaType::Json)
        );
    }

    #[test]
    fn only_json_in_utf8_is_read() {
        let labelled = |content_type: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_str(content_type).unwrap(),
            );
            is_json_body(&headers)
        };
        assert!(labelled("application/json"));
        assert!(labelled("Application/JSON; charset=UTF-8"));
        assert!(labelled("application/json; charset=\"utf-8\""));
        for refused in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/graphql",
            "application/json; charset=utf-16",
            "",
        ] {
            assert!(!labelled(refused), "{refused}");
        }
        assert!(!is_json_body(&HeaderMap::new()));
    }
}
