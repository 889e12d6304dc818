//! `organizationChanged`: every change arrives with its event and the state after it, and
//! the `id` filter holds.

use std::collections::HashSet;

use libtest_mimic::Trial;
use serde_json::{Value, json};

use super::listener::{
    Listener, Protocol, command, create_organization, create_user_without_waiting,
    organization_changed,
};
use crate::support::{TestApp, on_both_databases, text};

/// An organization change a listener must receive.
struct ExpectedOrganizationChange {
    kind: &'static str,
    event: &'static str,
    organization: Value,
}

async fn rename_organization(
    app: &TestApp,
    id: &str,
    version: i64,
    name: &str,
) -> ExpectedOrganizationChange {
    let input = json!({ "id": id, "expectedVersion": version, "name": name });
    let version = command(app, "renameOrganization", input).await;
    let body = app
        .gql(
            "query($id: ID) { organization(id: $id) { slug } }",
            json!({ "id": id }),
        )
        .await;
    let slug = body["data"]["organization"]["slug"].clone();
    assert!(slug.is_string(), "{body}");
    ExpectedOrganizationChange {
        kind: "UPDATED",
        event: "OrganizationRenamed",
        organization: json!({ "id": id, "slug": slug, "name": name, "version": version }),
    }
}

async fn organization_changes_arrive_with_their_event_and_the_id_filter_holds(app: TestApp) {
    let acme = create_organization(&app, "acme").await;
    let globex = create_organization(&app, "globex").await;
    let after = app.read_position().await;
    let filters = [json!({}), json!({ "id": acme })];
    let mut listeners = Vec::new();
    for filter in &filters {
        let mut variables = filter.clone();
        variables["after"] = json!(after);
        listeners.push(
            Listener::admin(
                &app,
                Protocol::TransportWs,
                &organization_changed(),
                variables,
            )
            .await,
        );
    }

    // As for users: the first and the last change match both listeners.
    let mut log = vec![rename_organization(&app, &acme, 1, "Acme Inc").await];
    let initech = create_organization(&app, "initech").await;
    log.push(ExpectedOrganizationChange {
        kind: "CREATED",
        event: "OrganizationCreated",
        organization: json!({ "id": initech, "slug": "initech", "name": "Org initech", "version": 1 }),
    });
    log.push(rename_organization(&app, &globex, 1, "Globex Corp").await);
    // A user change is not an organization change.
    create_user_without_waiting(&app, &acme, "ada@example.com", "Ada").await;
    log.push(rename_organization(&app, &acme, 2, "Acme Industries").await);

    for (listener, filter) in listeners.iter_mut().zip(&filters) {
        let wanted = filter["id"].as_str();
        let expected: Vec<_> = log
            .iter()
            .filter(|change| wanted.is_none_or(|id| change.organization["id"] == id))
            .collect();
        let mut positions = HashSet::new();
        for expected in expected {
            let change = listener.next_organization_change().await;
            assert_eq!(change["kind"], expected.kind, "{change}");
            assert_eq!(change["event"], expected.event, "{change}");
            assert_eq!(
                change["organizationId"], expected.organization["id"],
                "{change}"
            );
            assert_eq!(
                change["organization"], expected.organization,
                "the state after {}: {change}",
                expected.event
            );
            assert!(
                positions.insert(text(&change["position"])),
                "a position repeats: {change}"
            );
        }
    }
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(organization_changes_arrive_with_their_event_and_the_id_filter_holds,)
}
