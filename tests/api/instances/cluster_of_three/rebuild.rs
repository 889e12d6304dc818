//! The read tables against a rebuild from the event log into a database of their own:
//! equal row by row, every column, and the checkpoint too.

use std::collections::HashMap;

use sea_orm::{Database, DatabaseConnection, FromQueryResult, JsonValue, Statement};

use crate::support::{Backend, TestDatabase, run_rosterql};

/// Every row of `table`, by id, every column.
pub(super) async fn rows(db: &DatabaseConnection, table: &str) -> Vec<JsonValue> {
    select(db, &format!("SELECT * FROM {table} ORDER BY id")).await
}

/// The rows `sql` selects, each as a JSON object.
async fn select(db: &DatabaseConnection, sql: &str) -> Vec<JsonValue> {
    let statement = Statement::from_string(db.get_database_backend(), sql);
    JsonValue::find_by_statement(statement)
        .all(db)
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"))
}

/// Compares `table` row by row between the live read side and the rebuilt one; returns the
/// rows compared.
async fn assert_same_rows(
    live: &DatabaseConnection,
    rebuilt: &DatabaseConnection,
    table: &str,
) -> usize {
    let (live_rows, rebuilt_rows) = (rows(live, table).await, rows(rebuilt, table).await);
    let rebuilt_by_id: HashMap<String, &JsonValue> = rebuilt_rows
        .iter()
        .map(|row| (row["id"].to_string(), row))
        .collect();
    let differing: Vec<String> = live_rows
        .iter()
        .filter(|row| rebuilt_by_id.get(&row["id"].to_string()) != Some(row))
        .take(5)
        .map(|row| {
            format!(
                "live {row}\n  rebuilt {:?}",
                rebuilt_by_id.get(&row["id"].to_string())
            )
        })
        .collect();
    assert!(
        differing.is_empty() && live_rows.len() == rebuilt_rows.len(),
        "{table}: {} live rows, {} rebuilt; rows that differ:\n{}",
        live_rows.len(),
        rebuilt_rows.len(),
        differing.join("\n")
    );
    live_rows.len()
}

/// Rebuilds the read side of the database at `database_url` (whose live read tables `db`
/// reads) into a database of its own, and asserts the two equal; returns the rows compared.
pub(super) async fn assert_equal_to_a_rebuild(
    database_url: &str,
    db: &DatabaseConnection,
) -> usize {
    let rebuilt = TestDatabase::create(Backend::Postgres).await;
    run_rosterql(database_url, Some(&rebuilt.url), &["rebuild-projections"]).await;
    let rebuilt_db = Database::connect(&rebuilt.url)
        .await
        .expect("the rebuilt database");
    // Every column: `updated_at` and `created_at` are the events' recorded times, not the
    // projection's, so nothing is left out.
    let rows_compared = assert_same_rows(db, &rebuilt_db, "user_profiles").await
        + assert_same_rows(db, &rebuilt_db, "organization_profiles").await;
    let checkpoint =
        "SELECT projector, tx, seq, log_identity FROM projector_checkpoints ORDER BY projector";
    assert_eq!(
        select(db, checkpoint).await,
        select(&rebuilt_db, checkpoint).await,
        "the checkpoint: live, rebuilt"
    );
    rows_compared
}
