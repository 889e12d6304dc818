//! The Postgres rebuild: new read tables beside the live ones, swapped in atomically.
//!
//! 1. The new tables are made in the schema `rosterql_rebuild` from the live ones (`LIKE`:
//!    same columns, types, collations, defaults), with their primary keys only.
//! 2. The log (what it has settled) is replayed into them, one transaction per batch, by
//!    the projector's own code: each batch sets `search_path` to the new schema first.
//! 3. The other indexes are built, once, on full tables (cheaper than keeping them up row
//!    by row), and the tables analysed.
//! 4. What was appended meanwhile is replayed too, until little is left.
//! 5. The swap, in one transaction: the checkpoint's row is taken (the live projector waits),
//!    the last events are replayed and the checkpoint put where they end, the live tables
//!    move out to `rosterql_retired` and the
//!    new ones into their schema, under the same names (so every statement, prepared or
//!    not, finds them), and the swap is announced as a rebuild. Reads wait for it only while
//!    it holds the tables' locks, after its replay. The old tables are dropped after it.

use std::time::Instant;

use futures_util::StreamExt;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement,
    TransactionTrait,
};

use super::{REBUILD_BATCH, Rebuilt, Replay};
use crate::db;
use crate::event_log::{EventLog, Position};
use crate::query::projector::announcement::Announcement;
use crate::query::projector::checkpoint;

/// Where the new tables are built.
const SHADOW: &str = "rosterql_rebuild";
/// Where the old tables go to be dropped.
const RETIRED: &str = "rosterql_retired";
/// The read tables a rebuild replaces (the checkpoint stays).
const TABLES: [&str; 3] = ["organization_profiles", "user_profiles", "parked_events"];
/// Catch-up rounds before the swap: each replays what was appended during the last one,
/// until one has less than a batch; at most this many, so writes faster than the replay
/// cannot keep it from ending.
const CATCH_UP_ROUNDS: usize = 10;
/// How long the swap waits for the tables' locks before it gives up (reads queue behind it
/// meanwhile); a statement of a request runs for 10 s at most by default.
const SWAP_LOCK_TIMEOUT: &str = "15s";

/// How many indexes are built at once.
const PARALLEL_INDEX_BUILDS: usize = 2;
/// `maintenance_work_mem` for each index build.
const INDEX_BUILD_MEMORY: &str = "256MB";

/// An index of a live table, as Postgres would create it.
struct Index {
    name: String,
    definition: String,
    primary: bool,
}

pub(super) async fn rebuild(
    log: &EventLog,
    read_db: &DatabaseConnection,
) -> Result<Rebuilt, DbErr> {
    let live_name = current_schema(read_db).await?;
    let live = quoted(&live_name);
    let mut indexes = Vec::new();
    // What an interrupted rebuild left behind.
    for schema in [SHADOW, RETIRED] {
        execute(read_db, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await?;
    }
    execute(read_db, &format!("CREATE SCHEMA {SHADOW}")).await?;
    for table in TABLES {
        execute(
            read_db,
            &format!(
                "CREATE TABLE {SHADOW}.{table} (LIKE {live}.{table} INCLUDING DEFAULTS \
                 INCLUDING GENERATED INCLUDING IDENTITY INCLUDING CONSTRAINTS)"
            ),
        )
        .await?;
        for index in indexes_of(read_db, &live_name, table).await? {
            if index.primary {
                execute(read_db, &index.definition).await?;
                execute(
                    read_db,
                    &format!(
                        "ALTER TABLE {SHADOW}.{table} ADD CONSTRAINT {name} \
                         PRIMARY KEY USING INDEX {name}",
                        name = quoted(&index.name)
                    ),
                )
                .await?;
            } else {
                indexes.push(index);
            }
        }
    }
    let identity = log.identity().await?;
    let mut replay = Replay::default();
    let started = Instant::now();
    replay_in_batches(log, read_db, &live, &mut replay).await?;
    tracing::info!(
        events = replay.done.applied + replay.done.parked,
        seconds = started.elapsed().as_secs_f64(),
        "replayed the log into the new read tables; indexing them"
    );
    let started = Instant::now();
    // Two at a time, each with memory enough to sort in memory: the trigram indexes are
    // most of the work, and they build much faster so.
    let builds = indexes.iter().map(|index| build(read_db, index));
    futures_util::stream::iter(builds)
        .buffer_unordered(PARALLEL_INDEX_BUILDS)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<(), DbErr>>()?;
    for table in TABLES {
        execute(read_db, &format!("ANALYZE {SHADOW}.{table}")).await?;
    }
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        "indexed the new read tables; catching up"
    );
    for _ in 0..CATCH_UP_ROUNDS {
        if replay_in_batches(log, read_db, &live, &mut replay).await? < REBUILD_BATCH {
            break;
        }
    }
    swap(log, read_db, &live, &mut replay, identity.as_deref()).await?;
    replay.done.position = replay.position;
    Ok(replay.done)
}

/// Replays what the log has settled into the new tables, one transaction per batch;
/// returns how many events it read.
async fn replay_in_batches(
    log: &EventLog,
    read_db: &DatabaseConnection,
    live: &str,
    replay: &mut Replay,
) -> Result<u64, DbErr> {
    let mut read = 0;
    loop {
        let txn = in_shadow(read_db, live).await?;
        let batch = replay.next_batch(log, &txn, None).await?;
        txn.commit().await?;
        if batch == 0 {
            return Ok(read);
        }
        read += batch;
    }
}

/// A transaction whose unqualified table names are the new tables (and whose types and
/// operators still resolve in the live schema).
async fn in_shadow(read_db: &DatabaseConnection, live: &str) -> Result<DatabaseTransaction, DbErr> {
    let txn = db::begin_write(read_db).await?;
    db::relax_durability(&txn).await?;
    txn.execute_unprepared(&format!("SET LOCAL search_path TO {SHADOW}, {live}"))
        .await?;
    Ok(txn)
}

/// Brings the new tables up to the checkpoint and swaps them in, in one transaction.
async fn swap(
    log: &EventLog,
    read_db: &DatabaseConnection,
    live: &str,
    replay: &mut Replay,
    identity: Option<&str>,
) -> Result<(), DbErr> {
    let txn = in_shadow(read_db, live).await?;
    txn.execute_unprepared(&format!("SET LOCAL lock_timeout = '{SWAP_LOCK_TIMEOUT}'"))
        .await?;
    // The projector's next batch waits until the swap commits.
    let from = checkpoint::hold(&txn).await?.position;
    replay.up_to(log, &txn, None).await?;
    let to = replay.position;
    // The checkpoint is where the new tables end, in the log they were built from: further
    // than the old one when the projector trailed, and anywhere when the old one counted in
    // another log (a rebuild is how a read side follows a restored or replaced command
    // database).
    checkpoint::reset(&txn, identity).await?;
    checkpoint::advance(&txn, Position::ORIGIN, to).await?;
    let started = Instant::now();
    txn.execute_unprepared(&format!("CREATE SCHEMA {RETIRED}"))
        .await?;
    for table in TABLES {
        txn.execute_unprepared(&format!("ALTER TABLE {live}.{table} SET SCHEMA {RETIRED}"))
            .await?;
        txn.execute_unprepared(&format!("ALTER TABLE {SHADOW}.{table} SET SCHEMA {live}"))
            .await?;
    }
    txn.execute_unprepared(&format!("DROP SCHEMA {SHADOW}"))
        .await?;
    let announcement = Announcement {
        from,
        to,
        stale: None,
        rebuilt: true,
    };
    announcement.send(&txn).await?;
    txn.commit().await?;
    tracing::info!(
        position = %to,
        held_ms = started.elapsed().as_secs_f64() * 1e3,
        "swapped the new read tables in"
    );
    // Dropped once the swap no longer holds the live tables.
    execute(read_db, &format!("DROP SCHEMA {RETIRED} CASCADE")).await?;
    Ok(())
}

async fn current_schema(db: &DatabaseConnection) -> Result<String, DbErr> {
    let statement = Statement::from_string(DbBackend::Postgres, "SELECT current_schema() AS name");
    let row = db
        .query_one_raw(statement)
        .await?
        .ok_or_else(|| DbErr::Custom("no current schema".to_owned()))?;
    row.try_get("", "name")
}

/// The indexes of `schema.table`, rewritten to be made on the new table of that name.
async fn indexes_of(
    db: &DatabaseConnection,
    schema: &str,
    table: &str,
) -> Result<Vec<Index>, DbErr> {
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition, \
         i.indisprimary AS primary, quote_ident($1) || '.' || $2 AS on_table \
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
         WHERE i.indrelid = (quote_ident($1) || '.' || $2)::regclass ORDER BY c.relname",
        [schema.into(), table.into()],
    );
    let new_table = format!(" ON {SHADOW}.{table} ");
    let mut indexes = Vec::new();
    for row in db.query_all_raw(statement).await? {
        let definition: String = row.try_get("", "definition")?;
        // As `pg_get_indexdef` names it: quoted only where it must be.
        let live_table = format!(" ON {} ", row.try_get::<String>("", "on_table")?);
        if !definition.contains(&live_table) {
            return Err(DbErr::Custom(format!(
                "cannot tell which table the index {definition:?} is on"
            )));
        }
        indexes.push(Index {
            name: row.try_get("", "name")?,
            definition: definition.replacen(&live_table, &new_table, 1),
            primary: row.try_get("", "primary")?,
        });
    }
    Ok(indexes)
}

/// Builds `index` in a transaction of its own, with [`INDEX_BUILD_MEMORY`].
async fn build(db: &DatabaseConnection, index: &Index) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    txn.execute_unprepared(&format!(
        "SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'"
    ))
    .await?;
    txn.execute_unprepared(&index.definition).await?;
    txn.commit().await
}

async fn execute(db: &DatabaseConnection, sql: &str) -> Result<(), DbErr> {
    db.execute_unprepared(sql).await?;
    Ok(())
}

/// `name` as a Postgres identifier.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
