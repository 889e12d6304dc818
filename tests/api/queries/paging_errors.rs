//! Paging arguments the lists refuse: negative sizes, both directions at once, cursors of
//! another ordering or list, cursors against the direction of the walk, garbage. Each is a
//! `BAD_USER_INPUT` naming the argument at fault, with no data.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libtest_mimic::Trial;
use serde_json::{Value, json};

use super::pages::{List, connection, fetch, refused_field};
use crate::support::{TestApp, on_both_databases};
use crate::values::INVALID_CURSORS;

/// The end cursor of a one-row page of `list` with `arguments`.
async fn a_cursor(app: &TestApp, list: List, arguments: Value) -> String {
    let mut arguments = arguments;
    arguments["first"] = json!(1);
    let body = fetch(app, None, list, &arguments).await;
    let cursor = &connection(&body, list)["pageInfo"]["endCursor"];
    cursor
        .as_str()
        .unwrap_or_else(|| panic!("a cursor: {body}"))
        .to_owned()
}

/// `arguments` on `list` must be refused as BAD_USER_INPUT naming one of `fields`.
async fn assert_refused(app: &TestApp, list: List, arguments: Value, fields: &[&str]) {
    let body = fetch(app, None, list, &arguments).await;
    let field = refused_field(&body);
    assert!(
        fields.contains(&field),
        "{list:?} {arguments}: field {field:?}, not one of {fields:?}: {body}"
    );
    assert!(body["data"].is_null(), "{list:?} {arguments}: {body}");
}

/// Two organizations with a user each, once the read side has them.
async fn two_of_everything(app: &TestApp) {
    let acme = text_of(&app.create_organization("acme", "Acme").await["organizationId"]);
    let globex = text_of(&app.create_organization("globex", "Globex").await["organizationId"]);
    app.create_user(&acme, "ada@example.com", "Ada").await;
    app.create_user(&globex, "grace@example.com", "Grace").await;
    app.settle().await;
}

fn text_of(value: &Value) -> String {
    value.as_str().expect("a string").to_owned()
}

async fn negative_page_sizes_are_bad_user_input_naming_the_size(app: TestApp) {
    two_of_everything(&app).await;
    for list in [List::Users, List::Organizations] {
        for size in ["first", "last"] {
            for value in [-1, i64::from(i32::MIN)] {
                assert_refused(&app, list, json!({ size: value }), &[size]).await;
            }
        }
    }
}

/// Page sizes that are no GraphQL `Int` (32 bits): async-graphql cannot read them, and says
/// so without a code.
const OUTSIDE_32_BITS: [i64; 4] = [
    i32::MAX as i64 + 1,
    i32::MIN as i64 - 1,
    99_999_999_999,
    -57_860_528_430,
];

async fn page_sizes_outside_32_bits_are_bad_user_input_naming_the_size(app: TestApp) {
    two_of_everything(&app).await;
    for list in [List::Users, List::Organizations] {
        for size in ["first", "last"] {
            for value in OUTSIDE_32_BITS {
                assert_refused(&app, list, json!({ size: value }), &[size]).await;
                // Written into the document rather than sent as a variable.
                let query = format!("{{ {}({size}: {value}) {{ totalCount }} }}", list.field());
                let body = app.gql(&query, json!({})).await;
                assert_eq!(refused_field(&body), size, "{query}: {body}");
                assert!(body["data"].is_null(), "{query}: {body}");
            }
        }
    }
}

async fn first_with_last_and_after_with_before_are_bad_user_input(app: TestApp) {
    two_of_everything(&app).await;
    for list in [List::Users, List::Organizations] {
        let cursor = a_cursor(&app, list, json!({})).await;
        assert_refused(
            &app,
            list,
            json!({ "first": 1, "last": 1 }),
            &["first", "last"],
        )
        .await;
        let both = json!({ "after": cursor, "before": cursor });
        assert_refused(&app, list, both, &["after", "before"]).await;
        let both = json!({ "first": 1, "after": cursor, "before": cursor });
        assert_refused(&app, list, both, &["after", "before"]).await;
    }
}

async fn a_cursor_against_the_direction_of_the_walk_is_bad_user_input(app: TestApp) {
    two_of_everything(&app).await;
    for list in [List::Users, List::Organizations] {
        let cursor = a_cursor(&app, list, json!({})).await;
        // `first` walks forward from `after`; `last` walks backward from `before`.
        assert_refused(
            &app,
            list,
            json!({ "first": 1, "before": cursor }),
            &["before"],
        )
        .await;
        assert_refused(
            &app,
            list,
            json!({ "last": 1, "after": cursor }),
            &["after"],
        )
        .await;

        // The cursor itself is fine either way round.
        for arguments in [
            json!({ "first": 1, "after": cursor }),
            json!({ "last": 1, "before": cursor }),
        ] {
            let body = fetch(&app, None, list, &arguments).await;
            assert!(body.get("errors").is_none(), "{list:?} {arguments}: {body}");
        }
    }
}

async fn a_cursor_of_another_ordering_or_list_is_bad_user_input(app: TestApp) {
    two_of_everything(&app).await;
    let orders = ["NAME_ASC", "NAME_DESC", "CREATED_AT_ASC", "CREATED_AT_DESC"];
    for cursor_order in orders {
        let cursor = a_cursor(&app, List::Users, json!({ "orderBy": cursor_order })).await;
        for order in orders.iter().filter(|order| **order != cursor_order) {
            let arguments = json!({ "orderBy": order, "first": 1, "after": cursor });
            assert_refused(&app, List::Users, arguments, &["after"]).await;
            let arguments = json!({ "orderBy": order, "last": 1, "before": cursor });
            assert_refused(&app, List::Users, arguments, &["before"]).await;
        }
        // A user's cursor is no organization's, whatever its ordering.
        let arguments = json!({ "first": 1, "after": cursor });
        assert_refused(&app, List::Organizations, arguments, &["after"]).await;
    }
    // Nor is an organization's cursor a user's.
    let cursor = a_cursor(&app, List::Organizations, json!({})).await;
    for order in orders {
        let arguments = json!({ "orderBy": order, "first": 1, "after": cursor });
        assert_refused(&app, List::Users, arguments, &["after"]).await;
    }
}

async fn garbage_cursors_are_bad_user_input_naming_their_argument(app: TestApp) {
    two_of_everything(&app).await;
    let id = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    let forged = |text: &str| URL_SAFE_NO_PAD.encode(text);
    let mut garbage: Vec<String> = INVALID_CURSORS.iter().map(|c| (*c).to_owned()).collect();
    garbage.extend([
        String::new(),
        "%%%".to_owned(),
        forged("NAME_ASC"),
        forged(&format!("NAME_ASC\n{id}")),
        forged("NAME_ASC\nnot-a-uuid\nAda"),
        forged(&format!("CREATED_AT_ASC\n{id}\nyesterday")),
        forged(&format!("NO_SUCH_ORDER\n{id}\nAda")),
    ]);
    for cursor in &garbage {
        for list in [List::Users, List::Organizations] {
            let forward = json!({ "first": 1, "after": cursor });
            assert_refused(&app, list, forward, &["after"]).await;
            let backward = json!({ "last": 1, "before": cursor });
            assert_refused(&app, list, backward, &["before"]).await;
        }
    }
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        negative_page_sizes_are_bad_user_input_naming_the_size,
        page_sizes_outside_32_bits_are_bad_user_input_naming_the_size,
        first_with_last_and_after_with_before_are_bad_user_input,
        a_cursor_against_the_direction_of_the_walk_is_bad_user_input,
        a_cursor_of_another_ordering_or_list_is_bad_user_input,
        garbage_cursors_are_bad_user_input_naming_their_argument,
    )
}
