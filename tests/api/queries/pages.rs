//! The two paginated lists and the checks every page of them must pass, and Relay walks
//! through a whole list in either direction.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::support::{TestApp, assert_no_errors, error_code};

pub(super) const WALK_PAGE: i64 = 7;

/// The two paginated lists.
#[derive(Debug, Clone, Copy)]
pub(super) enum List {
    Users,
    Organizations,
}

impl List {
    pub(super) fn field(self) -> &'static str {
        match self {
            Self::Users => "users",
            Self::Organizations => "organizations",
        }
    }

    fn node_fields(self) -> &'static str {
        match self {
            Self::Users => "id name role status organization { id }",
            Self::Organizations => "id slug name",
        }
    }
}

pub(super) fn argument_type(argument: &str) -> &'static str {
    match argument {
        "organizationId" => "ID",
        "filter" => "UserFilter",
        "orderBy" => "UserOrder",
        "first" | "last" => "Int",
        "after" | "before" => "String",
        other => panic!("the lists take no argument {other}"),
    }
}

/// One page of `list`; only the `arguments` given are sent (so defaults apply to the rest).
pub(super) async fn fetch(
    app: &TestApp,
    token: Option<&str>,
    list: List,
    arguments: &Value,
) -> Value {
    let arguments = arguments.as_object().expect("arguments are an object");
    let (declared, passed) = if arguments.is_empty() {
        (String::new(), String::new())
    } else {
        let declared: Vec<String> = arguments
            .keys()
            .map(|name| format!("${name}: {}", argument_type(name)))
            .collect();
        let passed: Vec<String> = arguments
            .keys()
            .map(|name| format!("{name}: ${name}"))
            .collect();
        (
            format!("({})", declared.join(", ")),
            format!("({})", passed.join(", ")),
        )
    };
    let fields = list.node_fields();
    let query = format!(
        "query{declared} {{ {list}{passed} {{ totalCount
            pageInfo {{ hasPreviousPage hasNextPage startCursor endCursor }}
            edges {{ cursor node {{ {fields} }} }} nodes {{ {fields} }} }} }}",
        list = list.field(),
    );
    app.gql_as(token, &query, Value::Object(arguments.clone()))
        .await
}

/// The first page of the users of `organization_id`, as an anonymous caller.
pub(super) async fn fetch_members(app: &TestApp, organization_id: &str) -> Value {
    let arguments = json!({ "organizationId": organization_id });
    fetch(app, None, List::Users, &arguments).await
}

/// The connection of a response that must have succeeded, after the checks every page
/// must pass: `nodes` is `edges.node`, and start/end cursors are the first/last edge's.
pub(super) fn connection(body: &Value, list: List) -> &Value {
    assert_no_errors(body);
    let connection = &body["data"][list.field()];
    let edges = connection["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no edges in {body}"));
    let edge_nodes: Vec<&Value> = edges.iter().map(|edge| &edge["node"]).collect();
    let nodes: Vec<&Value> = connection["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .collect();
    assert_eq!(nodes, edge_nodes, "nodes must equal edges.node");
    let page_info = &connection["pageInfo"];
    let cursor = |edge: Option<&Value>| edge.map_or(Value::Null, |edge| edge["cursor"].clone());
    assert_eq!(
        page_info["startCursor"],
        cursor(edges.first()),
        "startCursor: {connection}"
    );
    assert_eq!(
        page_info["endCursor"],
        cursor(edges.last()),
        "endCursor: {connection}"
    );
    connection
}

pub(super) fn node_strings(connection: &Value, field: &str) -> Vec<String> {
    connection["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|node| node[field].as_str().expect("a string field").to_owned())
        .collect()
}

pub(super) fn ids(connection: &Value) -> Vec<String> {
    node_strings(connection, "id")
}

pub(super) fn sorted_names(connection: &Value) -> Vec<String> {
    let mut names = node_strings(connection, "name");
    names.sort();
    names
}

pub(super) fn flag(connection: &Value, name: &str) -> bool {
    connection["pageInfo"][name]
        .as_bool()
        .unwrap_or_else(|| panic!("no pageInfo.{name} in {connection}"))
}

pub(super) fn total_count(connection: &Value) -> usize {
    connection["totalCount"].as_u64().expect("a totalCount") as usize
}

/// One direction of a Relay walk: the arguments it sends and the flags it reads.
pub(super) struct Direction {
    size: &'static str,
    cursor: &'static str,
    /// True on every page that came from a cursor.
    came_from_cursor: &'static str,
    /// False on the last page of the walk.
    more: &'static str,
    /// The cursor the next page starts from.
    next_cursor: &'static str,
    backward: bool,
}

const FORWARD: Direction = Direction {
    size: "first",
    cursor: "after",
    came_from_cursor: "hasPreviousPage",
    more: "hasNextPage",
    next_cursor: "endCursor",
    backward: false,
};

const BACKWARD: Direction = Direction {
    size: "last",
    cursor: "before",
    came_from_cursor: "hasNextPage",
    more: "hasPreviousPage",
    next_cursor: "startCursor",
    backward: true,
};

/// Walks all of `list` in `direction`, checking every page (each counts `total` matches);
/// returns the rows in list order.
pub(super) async fn walk(
    app: &TestApp,
    list: List,
    arguments: &Value,
    total: usize,
    direction: &Direction,
) -> Vec<String> {
    let mut walked: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut page_arguments = arguments.clone();
        page_arguments[direction.size] = json!(WALK_PAGE);
        if let Some(cursor) = &cursor {
            page_arguments[direction.cursor] = json!(cursor);
        }
        let body = fetch(app, None, list, &page_arguments).await;
        let page = connection(&body, list);
        assert_eq!(total_count(page), total, "totalCount on every page: {page}");
        assert_eq!(
            flag(page, direction.came_from_cursor),
            cursor.is_some(),
            "{}: {page}",
            direction.came_from_cursor
        );
        let page_ids = ids(page);
        if direction.backward {
            walked.splice(0..0, page_ids.iter().cloned());
        } else {
            walked.extend(page_ids.iter().cloned());
        }
        assert!(
            walked.len() <= total,
            "the walk went past {total} rows: {walked:?}"
        );
        if !flag(page, direction.more) {
            return walked;
        }
        assert_eq!(
            page_ids.len() as i64,
            WALK_PAGE,
            "a page before the end is full: {page}"
        );
        let next = page["pageInfo"][direction.next_cursor].as_str();
        cursor = Some(next.expect("a cursor to go on from").to_owned());
    }
}

pub(super) async fn walk_forward(
    app: &TestApp,
    list: List,
    arguments: &Value,
    total: usize,
) -> Vec<String> {
    walk(app, list, arguments, total, &FORWARD).await
}

pub(super) async fn walk_backward(
    app: &TestApp,
    list: List,
    arguments: &Value,
    total: usize,
) -> Vec<String> {
    walk(app, list, arguments, total, &BACKWARD).await
}

/// Every id of `expected` exactly once: no duplicate, no gap.
pub(super) fn assert_each_once(walked: &[String], expected: &HashSet<String>) {
    let unique: HashSet<String> = walked.iter().cloned().collect();
    assert_eq!(unique.len(), walked.len(), "a row came twice: {walked:?}");
    assert_eq!(&unique, expected, "the walk missed or invented rows");
}

/// The `BAD_USER_INPUT` error's `field`.
pub(super) fn refused_field(body: &Value) -> &str {
    assert_eq!(error_code(body), "BAD_USER_INPUT", "{body}");
    body["errors"][0]["extensions"]["field"]
        .as_str()
        .unwrap_or_else(|| panic!("no field in {body}"))
}
