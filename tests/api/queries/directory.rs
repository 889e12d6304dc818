//! The people the query tests read: a small directory of varied members, and a roster large
//! enough to page through.

use std::collections::HashSet;

use serde_json::json;

use super::pages::assert_each_once;
use crate::support::{TestApp, text};

const ROSTER_SIZE: usize = 25;

/// A user as a test created it.
#[derive(Debug, Clone)]
pub(super) struct Member {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) email: String,
    pub(super) role: &'static str,
    pub(super) status: &'static str,
    pub(super) organization_id: String,
}

pub(super) async fn add_member(
    app: &TestApp,
    organization_id: &str,
    name: &str,
    email: &str,
    role: &'static str,
) -> Member {
    let input =
        json!({ "organizationId": organization_id, "email": email, "name": name, "role": role });
    let created = app.mutate("createUser", input, "userId version").await;
    Member {
        id: text(&created["userId"]),
        name: name.to_owned(),
        email: email.to_owned(),
        role,
        status: "ACTIVE",
        organization_id: organization_id.to_owned(),
    }
}

pub(super) async fn suspend(app: &TestApp, member: &mut Member) {
    let input = json!({ "id": member.id, "expectedVersion": 1 });
    app.mutate("suspendUser", input, "version").await;
    member.status = "SUSPENDED";
}

pub(super) async fn new_organization(app: &TestApp, slug: &str, name: &str) -> String {
    text(&app.create_organization(slug, name).await["organizationId"])
}

/// Two organizations: "acme" with varied members (two suspended), "globex" with one.
pub(super) async fn directory(app: &TestApp) -> (String, String, Vec<Member>) {
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

pub(super) fn sorted_names_of<'a>(members: impl IntoIterator<Item = &'a Member>) -> Vec<String> {
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
pub(super) async fn roster(app: &TestApp) -> (String, Vec<Member>) {
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
pub(super) fn assert_in_order(order: &str, walked: &[String], roster: &[Member]) {
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
