//! Ordering and Relay pagination of `users` and `organizations`: default pages, walks in
//! both directions in every order, page-size limits and cursors that are no cursor.

use std::collections::HashSet;

use libtest_mimic::Trial;
use serde_json::json;

use super::directory::{assert_in_order, new_organization, roster};
use super::pages::{
    List, WALK_PAGE, assert_each_once, connection, fetch, fetch_members, flag, ids, node_strings,
    refused_field, total_count, walk_backward, walk_forward,
};
use crate::support::{TestApp, on_both_databases};
use crate::values::INVALID_CURSORS;

const USER_ORDERS: [&str; 4] = ["NAME_ASC", "NAME_DESC", "CREATED_AT_ASC", "CREATED_AT_DESC"];

async fn the_default_page_holds_twenty_users_in_name_order(app: TestApp) {
    let (organization_id, members) = roster(&app).await;

    let body = fetch_members(&app, &organization_id).await;
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

/// A page that ends exactly where the list ends has no next page, in either direction.
async fn a_page_that_ends_exactly_at_the_end_of_the_list_has_no_next_page(app: TestApp) {
    let (organization_id, members) = roster(&app).await;
    let everyone = members.len();
    for (size, direction) in [("first", "hasNextPage"), ("last", "hasPreviousPage")] {
        let arguments = json!({ "organizationId": organization_id, size: everyone });
        let body = fetch(&app, None, List::Users, &arguments).await;
        let page = connection(&body, List::Users);
        assert_eq!(ids(page).len(), everyone, "{page}");
        assert!(
            !flag(page, direction),
            "{size}: {everyone} of {everyone}: {page}"
        );
        let arguments = json!({ "organizationId": organization_id, size: everyone - 1 });
        let body = fetch(&app, None, List::Users, &arguments).await;
        let page = connection(&body, List::Users);
        let info = &page["pageInfo"];
        assert!(flag(page, direction), "{size}: one more is left: {info}");
    }
}

/// `totalCount` is only counted when selected, so it must be seen however it is selected.
async fn total_count_is_counted_through_an_alias_or_a_fragment_and_lists_work_without_it(
    app: TestApp,
) {
    let (organization_id, members) = roster(&app).await;
    let query = "query($id: ID!) {
        aliased: users(organizationId: $id, first: 2) { size: totalCount nodes { id } }
        fragment: users(organizationId: $id, first: 2) { ...Counted }
        inline: users(organizationId: $id, first: 2) { ... on UserConnection { totalCount } }
        uncounted: users(organizationId: $id, first: 2) { nodes { id } pageInfo { hasNextPage } }
        organizations(first: 1) { ...OrganizationsCounted }
    }
    fragment Counted on UserConnection { totalCount }
    fragment OrganizationsCounted on OrganizationConnection { totalCount }";
    let body = app.gql(query, json!({ "id": organization_id })).await;
    crate::support::assert_no_errors(&body);
    let data = &body["data"];
    assert_eq!(data["aliased"]["size"], members.len(), "{body}");
    assert_eq!(data["fragment"]["totalCount"], members.len(), "{body}");
    assert_eq!(data["inline"]["totalCount"], members.len(), "{body}");
    assert_eq!(data["organizations"]["totalCount"], 1, "{body}");
    assert_eq!(data["uncounted"]["nodes"].as_array().map(Vec::len), Some(2));
    assert_eq!(data["uncounted"]["pageInfo"]["hasNextPage"], true, "{body}");
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(
        total_count_is_counted_through_an_alias_or_a_fragment_and_lists_work_without_it,
        a_page_that_ends_exactly_at_the_end_of_the_list_has_no_next_page,
        the_default_page_holds_twenty_users_in_name_order,
        walking_either_way_visits_every_user_once_in_every_order,
        total_count_counts_every_match_of_a_filter_whatever_the_page,
        page_sizes_over_one_hundred_are_bad_user_input_and_one_hundred_is_fine,
        a_garbage_cursor_is_bad_user_input,
        organizations_page_forward_and_backward_through_every_organization,
    )
}
