//! What GraphQL responses must look like.

use serde_json::Value;

pub(crate) fn assert_no_errors(body: &Value) {
    assert!(body.get("errors").is_none(), "unexpected errors: {body}");
}

/// The `extensions.code` of the first error.
pub(crate) fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {body}"))
}
