//! Unit tests of the page windows and cursor keys.

use super::*;

fn cursor() -> String {
    Cursor {
        ordering: "NAME_ASC".into(),
        key: "ada".into(),
        id: Uuid::nil(),
    }
    .encode()
}

#[test]
fn a_timestamp_key_is_utc_to_the_microsecond_and_reads_back() {
    let at = DateTime::parse_from_rfc3339("2026-11-29T10:20:30.123456+02:00")
        .unwrap()
        .with_timezone(&Utc);
    let key = timestamp_key(&at);
    assert_eq!(key, "2026-11-29T08:20:30.123456Z");
    assert_eq!(timestamp_value(&key), Some(Value::from(at)));
    assert_eq!(timestamp_value("yesterday"), None);
}

fn window(request: PageRequest) -> Result<Window, QueryError> {
    request.window("NAME_ASC")
}

#[test]
fn page_sizes_run_from_zero_to_one_hundred() {
    for (first, last) in [(Some(0), None), (Some(100), None), (None, Some(0))] {
        let page = window(PageRequest {
            first,
            last,
            ..PageRequest::default()
        })
        .unwrap();
        assert_eq!(page.size, first.or(last).unwrap());
    }
    for (field, first, last) in [("first", Some(-1), None), ("last", None, Some(-1))] {
        let refused = window(PageRequest {
            first,
            last,
            ..PageRequest::default()
        });
        assert!(
            matches!(refused, Err(QueryError::Invalid { field: f, ref message }) if f == field && message == "must not be negative"),
            "{refused:?}"
        );
    }
}

#[test]
fn before_alone_walks_backward_and_first_with_before_is_refused() {
    let page = window(PageRequest {
        before: Some(cursor()),
        ..PageRequest::default()
    })
    .unwrap();
    assert!(page.backward);
    let refused = window(PageRequest {
        first: Some(5),
        before: Some(cursor()),
        ..PageRequest::default()
    });
    assert!(matches!(
        refused,
        Err(QueryError::Invalid {
            field: "before",
            ..
        })
    ));
}

#[test]
fn a_page_defaults_to_twenty_forward() {
    let window = PageRequest::default().window("NAME_ASC").unwrap();
    assert_eq!(
        (window.size, window.backward, window.cursor.is_none()),
        (20, false, true)
    );
}

#[test]
fn more_than_one_hundred_rows_are_refused() {
    let request = PageRequest {
        first: Some(101),
        ..PageRequest::default()
    };
    assert!(matches!(
        request.window("NAME_ASC"),
        Err(QueryError::Invalid { field: "first", .. })
    ));
    let request = PageRequest {
        last: Some(101),
        ..PageRequest::default()
    };
    assert!(matches!(
        request.window("NAME_ASC"),
        Err(QueryError::Invalid { field: "last", .. })
    ));
}

#[test]
fn last_with_before_walks_backward_from_the_cursor() {
    let request = PageRequest {
        last: Some(5),
        before: Some(cursor()),
        ..PageRequest::default()
    };
    let window = request.window("NAME_ASC").unwrap();
    assert_eq!((window.size, window.backward), (5, true));
    assert_eq!(window.cursor.unwrap().key, "ada");
}

#[test]
fn a_cursor_of_another_ordering_or_garbage_is_refused() {
    let request = PageRequest {
        after: Some(cursor()),
        ..PageRequest::default()
    };
    assert!(request.window("CREATED_AT_ASC").is_err());
    let request = PageRequest {
        after: Some("not a cursor".into()),
        ..PageRequest::default()
    };
    assert!(matches!(
        request.window("NAME_ASC"),
        Err(QueryError::Invalid { field: "after", .. })
    ));
}
