//! Reading the directory: `user`, `users` (filters, orderings, Relay pagination),
//! `organization`, `organizations` and `readModel`, all answered from the read side.

use std::collections::HashSet;

use libtest_mimic::Trial;
use serde_json::{Value, json};

use crate::support::{TestApp, assert_no_errors, error_code, on_both_databases};
use crate::values::INVALID_CURSORS;

const USER_ORDERS: [&str; 4] = ["NAME_ASC", "NAME_DESC", "CREATED_AT_ASC", "CREATED_AT_DESC"];
const ROSTER_SIZE: usize = 25;
const WALK_PAGE: i64 = 7;

// ---------------------------------------------------------------------------------------
// Lists and pages

/// The two paginated lists.
#[derive(Debug, Clone, Copy)]
enum List {
    Users,
    Organizations,
}

impl List {
    fn field(self) -> &'static str {
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

fn argument_type(argument: &str) -> &'static str {
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
async fn fetch(app: &TestApp, token: Option<&str>, list: List, arguments: &Value) -> Value {
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

/// The connection of a response that must have succeeded, after the checks every page
/// must pass: `nodes` is `edges.node`, and start/end cursors are the first/last edge's.
fn connection(body: &Value, list: List) -> &Value {
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

fn node_strings(connection: &Value, field: &str) -> Vec<String> {
    connection["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|node| node[field].as_str().expect("a string field").to_owned())
        .collect()
}

fn ids(connection: &Value) -> Vec<String> {
    node_strings(connection, "id")
}

fn sorted_names(connection: &Value) -> Vec<String> {
    let mut names = node_strings(connection, "name");
    names.sort();
    names
}

fn flag(connection: &Value, name: &str) -> bool {
    connection["pageInfo"][name]
        .as_bool()
        .unwrap_or_else(|| panic!("no pageInfo.{name} in {connection}"))
}

fn total_count(connection: &Value) -> usize {
    connection["totalCount"].as_u64().expect("a totalCount") as usize
}

/// One direction of a Relay walk: the arguments it sends and the flags it reads.
struct Direction {
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
async fn walk(
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

async fn walk_forward(app: &TestApp, list: List, arguments: &Value, total: usize) -> Vec<String> {
    walk(app, list, arguments, total, &FORWARD).await
}

async fn walk_backward(app: &TestApp, list: List, arguments: &Value, total: usize) -> Vec<String> {
    walk(app, list, arguments, total, &BACKWARD).await
}

/// Every id of `expected` exactly once: no duplicate, no gap.
fn assert_each_once(walked: &[String], expected: &HashSet<String>) {
    let unique: HashSet<String> = walked.iter().cloned().collect();
    assert_eq!(unique.len(), walked.len(), "a row came twice: {walked:?}");
    assert_eq!(&unique, expected, "the walk missed or invented rows");
}

/// The `BAD_USER_INPUT` error's `field`.
fn refused_field(body: &Value) -> &str {
    assert_eq!(error_code(body), "BAD_USER_INPUT", "{body}");
    body["errors"][0]["extensions"]["field"]
        .as_str()
        .unwrap_or_else(|| panic!("no field in {body}"))
}

// ---------------------------------------------------------------------------------------
// Fixtures

/// A user as a test created it.
#[derive(Debug, Clone)]
struct Member {
    id: String,
    name: String,
    email: String,
    role: &'static str,
    status: &'static str,
    organization_id: String,
}

async fn add_member(
    app: &TestApp,
    organization_id: &str,
    name: &str,
    email: &str,
    role: &'static str,
) -> Member {
    let body = app
        .gql(
            "mutation($input: CreateUserInput!) { createUser(input: $input) { userId version } }",
            json!({ "input": { "organizationId": organization_id, "email": email, "name": name, "role": role } }),
        )
        .await;
    assert_no_errors(&body);
    Member {
        id: body["data"]["createUser"]["userId"]
            .as_str()
            .expect("a user id")
            .to_owned(),
        name: name.to_owned(),
        email: email.to_owned(),
        role,
        status: "ACTIVE",
        organization_id: organization_id.to_owned(),
    }
}

async fn suspend(app: &TestApp, member: &mut Member) {
    let body = app
        .gql(
            "mutation($input: SuspendUserInput!) { suspendUser(input: $input) { version } }",
            json!({ "input": { "id": member.id, "expectedVersion": 1 } }),
        )
        .await;
    assert_no_errors(&body);
    member.status = "SUSPENDED";
}

async fn new_organization(app: &TestApp, slug: &str, name: &str) -> String {
    let created = app.create_organization(slug, name).await;
    created["organizationId"]
        .as_str()
        .expect("an organization id")
        .to_owned()
}

/// Two organizations: "acme" with varied members (two suspended), "globex" with one.
async fn directory(app: &TestApp) -> (String, String, Vec<Member>) {
    let acme = new_organization(app, "acme", "Acme").await;
    let globex = new_organization(app, "globex", "Globex").await;
    let people = [
        ("Ada Lovelace", "ada@example.com", "MEMBER"),
        ("Grace Hopper", "grace@example.com", "OWNER"),
        ("Alan Turing", "alan@example.org", "ADMIN"),
        ("100% Cotton", "cotton@example.com", "GUEST"),
        ("1000 Cottonwood", "wood@example.com", "MEMBER"),
        ("snake_case", "snake@example.com", "MEMBER"),
        ("snakeXcase", "snakex@example.com", "GUEST"),
    ];
    let mut members = Vec::new();
    for (name, email, role) in people {
        members.push(add_member(app, &acme, name, email, role).await);
    }
    suspend(app, &mut members[1]).await;
    suspend(app, &mut members[6]).await;
    members.push(add_member(app, &globex, "Ada Byron", "byron@example.com", "MEMBER").await);
    app.settle().await;
    (acme, globex, members)
}

fn sorted_names_of<'a>(members: impl IntoIterator<Item = &'a Member>) -> Vec<String> {
    let mut names: Vec<String> = members
        .into_iter()
        .map(|member| member.name.clone())
        .collect();
    names.sort();
    names
}

/// One organization with `ROSTER_SIZE` users, created in an order unlike their names' and
/// with every name shared (so equal names straddle page boundaries in the walks); returns
/// the organization id and the users in creation order.
async fn roster(app: &TestApp) -> (String, Vec<Member>) {
    let organization_id = new_organization(app, "roster", "Roster").await;
    let mut members = Vec::new();
    for index in 0..ROSTER_SIZE {
        let name = format!("Member {:02}", (index * 7) % 12);
        let email = format!("member{index}@example.com");
        members.push(add_member(app, &organization_id, &name, &email, "MEMBER").await);
    }
    app.settle().await;
    (organization_id, members)
}

/// Checks `walked` is the roster in `order`.
fn assert_in_order(order: &str, walked: &[String], roster: &[Member]) {
    let expected: HashSet<String> = roster.iter().map(|member| member.id.clone()).collect();
    assert_each_once(walked, &expected);
    let by_id = |id: &String| {
        roster
            .iter()
            .find(|member| &member.id == id)
            .expect("a roster member")
    };
    let created: Vec<String> = roster.iter().map(|member| member.id.clone()).collect();
    match order {
        "NAME_ASC" | "NAME_DESC" => {
            let names: Vec<&str> = walked.iter().map(|id| by_id(id).name.as_str()).collect();
            let mut sorted = names.clone();
            sorted.sort_unstable();
            if order == "NAME_DESC" {
                sorted.reverse();
            }
            assert_eq!(names, sorted, "{order}");
        }
        "CREATED_AT_ASC" => assert_eq!(walked, created, "{order}"),
        "CREATED_AT_DESC" => {
            let newest_first: Vec<String> = created.into_iter().rev().collect();
            assert_eq!(walked, newest_first, "{order}");
        }
        other => panic!("no order {other}"),
    }
}

// ---------------------------------------------------------------------------------------
// user(id)

const USER_BY_ID: &str = "query($id: ID!) { user(id: $id) {
    id email name role status version organization { id slug name } } }";

async fn a_user_reads_back_by_id_and_an_unknown_id_reads_as_null(app: TestApp) {
    let (organization_id, created) = app.organization_with_user().await;

    let body = app
        .gql(USER_BY_ID, json!({ "id": created["userId"] }))
        .await;
    assert_no_errors(&body);
    let user = &body["data"]["user"];
    assert_eq!(user["id"], created["userId"]);
    assert_eq!(user["email"], created["user"]["email"]);
    assert_eq!(user["name"], created["user"]["name"]);
    assert_eq!(user["role"], "MEMBER");
    assert_eq!(user["status"], "ACTIVE");
    assert_eq!(user["version"], 1);
    assert_eq!(user["organization"]["id"], organization_id.as_str());
    assert_eq!(
        user["organization"]["slug"],
        created["user"]["organization"]["slug"]
    );

    let unknown = uuid::Uuid::new_v4().to_string();
    let body = app.gql(USER_BY_ID, json!({ "id": unknown })).await;
    assert_no_errors(&body);
    assert_eq!(body["data"]["user"], Value::Null, "{body}");
}

async fn a_malformed_user_id_is_bad_user_input_naming_the_argument(app: TestApp) {
    let body = app.gql(USER_BY_ID, json!({ "id": "not-a-user-id" })).await;
    assert_eq!(refused_field(&body), "id");
}

// ---------------------------------------------------------------------------------------
// users: scope and filters

async fn users_are_scoped_to_the_organization_asked_for(app: TestApp) {
    let (acme, globex, members) = directory(&app).await;

    for organization_id in [&acme, &globex] {
        let body = fetch(
            &app,
            None,
            List::Users,
            &json!({ "organizationId": organization_id }),
        )
        .await;
        let page = connection(&body, List::Users);
        let expected = sorted_names_of(
            members
                .iter()
                .filter(|member| &member.organization_id == organization_id),
        );
        assert_eq!(sorted_names(page), expected);
        assert_eq!(total_count(page), expected.len());
        for node in page["nodes"].as_array().expect("nodes") {
            assert_eq!(
                node["organization"]["id"],
                organization_id.as_str(),
                "{node}"
            );
        }
    }

    let body = fetch(&app, None, List::Users, &json!({})).await;
    let everyone = connection(&body, List::Users);
    assert_eq!(
        sorted_names(everyone),
        sorted_names_of(&members),
        "no organizationId lists every user"
    );

    let nobody = uuid::Uuid::new_v4().to_string();
    let body = fetch(
        &app,
        None,
        List::Users,
        &json!({ "organizationId": nobody }),
    )
    .await;
    let page = connection(&body, List::Users);
    assert_eq!(total_count(page), 0);
    assert_eq!(ids(page), Vec::<String>::new());

    let body = fetch(
        &app,
        None,
        List::Users,
        &json!({ "organizationId": "not-an-id" }),
    )
    .await;
    assert_eq!(refused_field(&body), "organizationId");
}

async fn users_filter_by_status_and_by_role(app: TestApp) {
    let (acme, _, members) = directory(&app).await;
    let in_acme: Vec<&Member> = members
        .iter()
        .filter(|member| member.organization_id == acme)
        .collect();

    let mut filters: Vec<Value> = Vec::new();
    for status in ["ACTIVE", "SUSPENDED"] {
        filters.push(json!({ "status": status }));
    }
    for role in ["OWNER", "ADMIN", "MEMBER", "GUEST"] {
        filters.push(json!({ "role": role }));
    }
    filters.push(json!({ "status": "SUSPENDED", "role": "GUEST" }));
    filters.push(json!({ "status": "ACTIVE", "role": "MEMBER" }));

    for filter in filters {
        let body = fetch(
            &app,
            None,
            List::Users,
            &json!({ "organizationId": acme, "filter": filter }),
        )
        .await;
        let page = connection(&body, List::Users);
        let expected = sorted_names_of(in_acme.iter().copied().filter(|member| {
            filter
                .get("status")
                .is_none_or(|status| status == member.status)
                && filter.get("role").is_none_or(|role| role == member.role)
        }));
        assert!(
            !expected.is_empty(),
            "every filter here matches someone: {filter}"
        );
        assert_eq!(sorted_names(page), expected, "filter {filter}");
        assert_eq!(total_count(page), expected.len(), "filter {filter}");
        for node in page["nodes"].as_array().expect("nodes") {
            for key in ["status", "role"] {
                if let Some(wanted) = filter.get(key) {
                    assert_eq!(&node[key], wanted, "filter {filter}: {node}");
                }
            }
        }
    }
}

/// The users a viewer's search for `term` finds (names only), against the contract's rule.
async fn assert_search_finds_by_name(app: &TestApp, members: &[Member], term: &str) {
    let body = fetch(
        app,
        Some(&app.viewer),
        List::Users,
        &json!({ "filter": { "search": term } }),
    )
    .await;
    let page = connection(&body, List::Users);
    let folded = term.to_lowercase();
    let expected = sorted_names_of(
        members
            .iter()
            .filter(|member| member.name.to_lowercase().contains(&folded)),
    );
    assert!(
        !expected.is_empty(),
        "each search here matches someone: {term:?}"
    );
    assert_eq!(sorted_names(page), expected, "search {term:?}");
    assert_eq!(total_count(page), expected.len(), "search {term:?}");
}

async fn a_search_is_a_case_insensitive_substring_of_the_name(app: TestApp) {
    let (_, _, members) = directory(&app).await;
    for term in ["LOVELACE", "ada", "aDa L", "ing", "cotton", "HOP"] {
        assert_search_finds_by_name(&app, &members, term).await;
    }
}

async fn like_wildcards_in_a_search_match_only_themselves(app: TestApp) {
    let (_, _, members) = directory(&app).await;
    // Read as LIKE wildcards, "100%" would also match "1000 Cottonwood" and "e_c" "snakeXcase".
    for term in ["100%", "%", "e_c", "_"] {
        assert_search_finds_by_name(&app, &members, term).await;
    }
}

async fn an_admin_search_also_matches_emails_and_a_viewer_search_does_not(app: TestApp) {
    let (_, _, members) = directory(&app).await;
    let term = "EXAMPLE.ORG";
    let folded = term.to_lowercase();
    assert!(
        members
            .iter()
            .all(|member| !member.name.to_lowercase().contains(&folded))
    );
    let expected = sorted_names_of(
        members
            .iter()
            .filter(|member| member.email.contains(&folded)),
    );
    assert!(!expected.is_empty());

    let arguments = json!({ "filter": { "search": term } });
    let body = fetch(&app, Some(&app.admin), List::Users, &arguments).await;
    assert_eq!(
        sorted_names(connection(&body, List::Users)),
        expected,
        "an admin's search reads emails"
    );
    let body = fetch(&app, Some(&app.viewer), List::Users, &arguments).await;
    assert_eq!(
        total_count(connection(&body, List::Users)),
        0,
        "a viewer's search reads names only"
    );
}

// ---------------------------------------------------------------------------------------
// users: ordering and pagination

async fn the_default_page_holds_twenty_users_in_name_order(app: TestApp) {
    let (organization_id, members) = roster(&app).await;

    let body = fetch(
        &app,
        None,
        List::Users,
        &json!({ "organizationId": organization_id }),
    )
    .await;
    let page = connection(&body, List::Users);
    assert_eq!(ids(page).len(), 20, "the default page size");
    assert_eq!(
        total_count(page),
        members.len(),
        "totalCount counts every match, not the page"
    );
    assert!(flag(page, "hasNextPage"), "{page}");
    assert!(!flag(page, "hasPreviousPage"), "{page}");

    let arguments =
        json!({ "organizationId": organization_id, "orderBy": "NAME_ASC", "first": 20 });
    let body = fetch(&app, None, List::Users, &arguments).await;
    assert_eq!(
        ids(page),
        ids(connection(&body, List::Users)),
        "orderBy defaults to NAME_ASC"
    );

    let names = node_strings(page, "name");
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "NAME_ASC");
}

async fn walking_either_way_visits_every_user_once_in_every_order(app: TestApp) {
    let (organization_id, members) = roster(&app).await;
    for order in USER_ORDERS {
        let arguments = json!({ "organizationId": organization_id, "orderBy": order });
        let backward = walk_backward(&app, List::Users, &arguments, members.len()).await;
        assert_in_order(order, &backward, &members);
        let forward = walk_forward(&app, List::Users, &arguments, members.len()).await;
        assert_in_order(order, &forward, &members);
        assert_eq!(
            backward, forward,
            "{order}: both directions walk the same list"
        );
    }
}

async fn total_count_counts_every_match_of_a_filter_whatever_the_page(app: TestApp) {
    let (organization_id, members) = roster(&app).await;
    let term = "Member 0";
    let matching = members
        .iter()
        .filter(|member| member.name.contains(term))
        .count();
    assert!(matching > 2, "the filter matches more than a page");
    let arguments =
        json!({ "organizationId": organization_id, "filter": { "search": term }, "first": 2 });
    let body = fetch(&app, None, List::Users, &arguments).await;
    let page = connection(&body, List::Users);
    assert_eq!(ids(page).len(), 2);
    assert_eq!(total_count(page), matching);
}

async fn page_sizes_over_one_hundred_are_bad_user_input_and_one_hundred_is_fine(app: TestApp) {
    let (organization_id, members) = roster(&app).await;

    for (list, size_argument) in [
        (List::Users, "first"),
        (List::Users, "last"),
        (List::Organizations, "first"),
    ] {
        let body = fetch(&app, None, list, &json!({ size_argument: 101 })).await;
        assert_eq!(
            refused_field(&body),
            size_argument,
            "{list:?} {size_argument}: 101"
        );
        assert!(
            body["data"].is_null(),
            "a refused page shows no data: {body}"
        );
    }

    for size_argument in ["first", "last"] {
        let arguments = json!({ "organizationId": organization_id, size_argument: 100 });
        let body = fetch(&app, None, List::Users, &arguments).await;
        let page = connection(&body, List::Users);
        assert_eq!(
            ids(page).len(),
            members.len(),
            "{size_argument}: 100 holds every user"
        );
        assert!(
            !flag(page, "hasNextPage") && !flag(page, "hasPreviousPage"),
            "{page}"
        );
    }
}

async fn a_garbage_cursor_is_bad_user_input(app: TestApp) {
    app.organization_with_user().await;
    app.settle().await;
    for garbage in INVALID_CURSORS {
        for (list, arguments) in [
            (List::Users, json!({ "first": 5, "after": garbage })),
            (List::Users, json!({ "last": 5, "before": garbage })),
            (List::Organizations, json!({ "first": 5, "after": garbage })),
        ] {
            let body = fetch(&app, None, list, &arguments).await;
            let field = if arguments.get("after").is_some() {
                "after"
            } else {
                "before"
            };
            assert_eq!(refused_field(&body), field, "{list:?} {arguments}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// organizations

const ORGANIZATION_FIELDS: &str = "id slug name memberCount activeMemberCount version";

async fn organization_lookup(app: &TestApp, arguments: Value) -> Value {
    let query = format!(
        "query($id: ID, $slug: String) {{ organization(id: $id, slug: $slug) {{ {ORGANIZATION_FIELDS} }} }}"
    );
    app.gql_as(None, &query, arguments).await
}

async fn an_organization_reads_back_by_id_and_by_slug(app: TestApp) {
    let (acme, _, members) = directory(&app).await;

    let by_id = organization_lookup(&app, json!({ "id": acme })).await;
    assert_no_errors(&by_id);
    let organization = &by_id["data"]["organization"];
    assert_eq!(organization["id"], acme.as_str());
    assert_eq!(organization["slug"], "acme");
    assert_eq!(organization["name"], "Acme");
    assert_eq!(organization["version"], 1);
    let in_acme: Vec<&Member> = members
        .iter()
        .filter(|member| member.organization_id == acme)
        .collect();
    assert_eq!(organization["memberCount"], in_acme.len());
    let active = in_acme
        .iter()
        .filter(|member| member.status == "ACTIVE")
        .count();
    assert_eq!(organization["activeMemberCount"], active);

    let by_slug = organization_lookup(&app, json!({ "slug": "acme" })).await;
    assert_no_errors(&by_slug);
    assert_eq!(
        by_slug["data"]["organization"], *organization,
        "by slug reads the same organization"
    );

    for unknown in [
        json!({ "slug": "no-such-org" }),
        json!({ "id": uuid::Uuid::new_v4().to_string() }),
    ] {
        let body = organization_lookup(&app, unknown.clone()).await;
        assert_no_errors(&body);
        assert_eq!(body["data"]["organization"], Value::Null, "{unknown}");
    }
}

async fn an_organization_lookup_takes_exactly_one_of_id_and_slug(app: TestApp) {
    let acme = new_organization(&app, "acme", "Acme").await;
    for arguments in [json!({ "id": acme, "slug": "acme" }), json!({})] {
        let body = organization_lookup(&app, arguments.clone()).await;
        let field = refused_field(&body);
        assert!(
            field == "id" || field == "slug",
            "{arguments}: field {field}"
        );
    }
    let body = organization_lookup(&app, json!({ "id": "not-an-id" })).await;
    assert_eq!(refused_field(&body), "id");
}

async fn organizations_page_forward_and_backward_through_every_organization(app: TestApp) {
    let count = 2 * WALK_PAGE as usize + 3;
    let mut created = HashSet::new();
    for index in 0..count {
        created
            .insert(new_organization(&app, &format!("org-{index}"), &format!("Org {index}")).await);
    }
    app.settle().await;

    let forward = walk_forward(&app, List::Organizations, &json!({}), count).await;
    assert_each_once(&forward, &created);
    let backward = walk_backward(&app, List::Organizations, &json!({}), count).await;
    assert_eq!(backward, forward, "both directions walk the same list");

    let body = fetch(&app, None, List::Organizations, &json!({})).await;
    assert_eq!(
        ids(connection(&body, List::Organizations)).len(),
        count,
        "all fit the default page"
    );
}

// ---------------------------------------------------------------------------------------
// readModel

async fn read_model(app: &TestApp, headers: &[(&str, &str)]) -> Value {
    let (_, body) = app
        .post(
            None,
            headers,
            json!({ "query": "{ readModel { position headPosition lagEvents lagSeconds parkedEvents } }" }),
        )
        .await;
    assert_no_errors(&body);
    body["data"]["readModel"].clone()
}

fn assert_caught_up(status: &Value) {
    assert_eq!(status["position"], status["headPosition"], "{status}");
    assert_eq!(status["lagEvents"], 0, "{status}");
    assert_eq!(status["lagSeconds"].as_f64(), Some(0.0), "{status}");
    assert_eq!(status["parkedEvents"], 0, "{status}");
}

async fn the_read_model_shows_no_lag_once_caught_up_and_its_head_moves_with_each_mutation(
    app: TestApp,
) {
    let empty = read_model(&app, &[]).await;
    assert_caught_up(&empty);

    // The payload's `organization` waits for the read side: caught up afterwards.
    let created = app.create_organization("acme", "Acme").await;
    let after_create = read_model(&app, &[]).await;
    assert_caught_up(&after_create);
    assert_ne!(
        after_create["headPosition"], empty["headPosition"],
        "a mutation moves the head"
    );

    let body = app
        .gql(
            "mutation($input: RenameOrganizationInput!) { renameOrganization(input: $input) { consistencyToken } }",
            json!({ "input": { "id": created["organizationId"], "expectedVersion": 1, "name": "Acme Corp" } }),
        )
        .await;
    assert_no_errors(&body);
    let token = body["data"]["renameOrganization"]["consistencyToken"]
        .as_str()
        .expect("a token")
        .to_owned();
    let after_rename = read_model(&app, &[("X-Consistency-Token", &token)]).await;
    assert_caught_up(&after_rename);
    assert_ne!(
        after_rename["headPosition"], after_create["headPosition"],
        "a mutation moves the head"
    );
}

pub(crate) fn trials() -> Vec<Trial> {
    on_both_databases!(
        a_user_reads_back_by_id_and_an_unknown_id_reads_as_null,
        a_malformed_user_id_is_bad_user_input_naming_the_argument,
        users_are_scoped_to_the_organization_asked_for,
        users_filter_by_status_and_by_role,
        a_search_is_a_case_insensitive_substring_of_the_name,
        like_wildcards_in_a_search_match_only_themselves,
        an_admin_search_also_matches_emails_and_a_viewer_search_does_not,
        the_default_page_holds_twenty_users_in_name_order,
        walking_either_way_visits_every_user_once_in_every_order,
        total_count_counts_every_match_of_a_filter_whatever_the_page,
        page_sizes_over_one_hundred_are_bad_user_input_and_one_hundred_is_fine,
        a_garbage_cursor_is_bad_user_input,
        an_organization_reads_back_by_id_and_by_slug,
        an_organization_lookup_takes_exactly_one_of_id_and_slug,
        organizations_page_forward_and_backward_through_every_organization,
        the_read_model_shows_no_lag_once_caught_up_and_its_head_moves_with_each_mutation,
    )
}
