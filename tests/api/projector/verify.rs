//! `rosterql verify-projections` beside a serving instance: a read side the projector built
//! has no difference (exit 0), even while writes go on; rows damaged by hand (a changed column, a member count, a
//! missing row, a row the log never named) are each printed and exit 1; `--repair` rewrites
//! them, after which there is no difference and the serving instance no longer answers
//! from the damaged rows it had cached.

use std::time::Duration;

use libtest_mimic::Trial;
use serde_json::json;

use crate::support::{
    Backend, TestApp, TestDatabase, execute_sql, on_both_databases, rosterql_output,
};

/// Runs `verify-projections` with `args`; returns its exit code and what it printed.
async fn verify(database: &TestDatabase, args: &[&str]) -> (i32, String) {
    let args = [&["verify-projections"], args].concat();
    let output = rosterql_output(&database.url, None, &args).await;
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.code().expect("an exit code"), printed)
}

const COLUMNS: &str = "id, organization_id, organization_slug, organization_name, email, name, \
    name_folded, role, status, version, created_at, updated_at, applied_tx, applied_seq";

async fn damage(database: &TestDatabase, statements: &[String]) {
    for sql in statements {
        assert_eq!(execute_sql(&database.url, sql).await, 1, "{sql}");
    }
}

async fn damaged_rows_are_found_printed_and_repaired_beside_a_live_server(database: TestDatabase) {
    let app = TestApp::spawn_on(database, |_| {}).await;
    let (organization_id, ada) = app.organization_with_user().await;
    let ada = ada["userId"].as_str().expect("an id").to_owned();
    let grace = app
        .create_user(&organization_id, "grace@example.com", "Grace")
        .await;
    let grace = grace["userId"].as_str().expect("an id").to_owned();
    // Verified while writes go on: the projector trailing is no difference.
    let writes = async {
        for version in 1..=40 {
            let input =
                json!({ "id": ada, "expectedVersion": version, "name": format!("Ada {version}") });
            app.mutate("renameUser", input, "version").await;
        }
    };
    let verifications = async {
        let mut codes = Vec::new();
        for _ in 0..3 {
            codes.push(verify(app.database(), &[]).await);
        }
        codes
    };
    let ((), verified) = tokio::join!(writes, verifications);
    for (code, printed) in verified {
        assert_eq!(
            code, 0,
            "a projected read side is what the log says:\n{printed}"
        );
    }
    app.settle().await;
    let database = app.stop().await.expect("its database");

    let backend = database.backend();
    let (ada_id, grace_id, org_id) = (
        backend.id_literal(&ada),
        backend.id_literal(&grace),
        backend.id_literal(&organization_id),
    );
    let stray = backend.id_literal("01a227d1-0000-7000-8000-000000000001");
    damage(
        &database,
        &[
            format!("UPDATE user_profiles SET name = 'Damaged' WHERE id = {ada_id}"),
            format!("UPDATE organization_profiles SET member_count = 7 WHERE id = {org_id}"),
            format!("DELETE FROM user_profiles WHERE id = {grace_id}"),
            format!(
                "INSERT INTO user_profiles ({COLUMNS}) SELECT {stray}, organization_id, \
                 organization_slug, organization_name, 'stray@example.com', name, name_folded, \
                 role, status, version, created_at, updated_at, applied_tx, applied_seq \
                 FROM user_profiles WHERE id = {ada_id}"
            ),
        ],
    )
    .await;
    // A server started on the damaged tables caches the damaged row.
    let app = TestApp::spawn_on(database, |_| {}).await;
    let database = app.database();
    assert_eq!(app.user_name(&ada).await, "Damaged");

    let (code, printed) = verify(database, &[]).await;
    assert_eq!(code, 1, "{printed}");
    for found in [
        format!("user_profiles {ada}: differs in name\n"),
        format!("organization_profiles {organization_id}: differs in member_count"),
        format!("user_profiles {grace}: missing"),
        "user_profiles 01a227d1-0000-7000-8000-000000000001: not in the event log".to_owned(),
        "4 difference(s)".to_owned(),
    ] {
        assert!(printed.contains(&found), "{found} in:\n{printed}");
    }

    let (code, printed) = verify(database, &["--repair"]).await;
    assert_eq!(code, 0, "{printed}");
    assert!(printed.contains("repaired"), "{printed}");
    let (code, printed) = verify(database, &[]).await;
    assert_eq!(
        (code, printed.contains("0 difference(s)")),
        (0, true),
        "{printed}"
    );
    assert_eq!(app.user_name(&grace).await, "Grace");
    if backend == Backend::Postgres {
        // The repair is announced: the serving instance drops what it cached.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        while app.user_name(&ada).await != "Ada 40" {
            assert!(
                tokio::time::Instant::now() < deadline,
                "still the damaged row"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

pub(super) fn trials() -> Vec<Trial> {
    on_both_databases!(damaged_rows_are_found_printed_and_repaired_beside_a_live_server)
}
