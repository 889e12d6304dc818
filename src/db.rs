//! Database connections: Postgres in production, SQLite as the embedded default.
//!
//! Every database is opened as [`Pools`]: connections for reads and the ones writers take
//! turns on. On Postgres both are one pool. A SQLite file allows one writer at a time, so
//! its writers share a single connection and queue for it in the pool: a writer waiting
//! for the lock never holds a connection a reader needs (WAL lets readers run beside the
//! writer). Write transactions take the lock up front (`BEGIN IMMEDIATE`), so a read that
//! turns into a write never fails half-way.

use std::time::Duration;

use sea_orm::sqlx::error::DatabaseError;
use sea_orm::sqlx::sqlite::{SqliteError, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    RuntimeErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);
const SQLITE_READERS: u32 = 8;
const POSTGRES_CONNECTIONS: u32 = 20;
/// The projector reads the log and writes one batch at a time.
const PROJECTOR_CONNECTIONS: u32 = 2;
/// Writers queue for SQLite's one write connection; under a burst of commands that queue
/// may be long, so they wait longer than readers do.
const SQLITE_WRITER_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// One database's connections.
#[derive(Clone)]
pub struct Pools {
    pub reads: DatabaseConnection,
    pub writes: DatabaseConnection,
}

impl Pools {
    /// Opens `url` (`postgres://…` or `sqlite://…`); a connection not had within `timeout`
    /// is an unavailable database.
    pub async fn open(url: &str, timeout: Duration) -> Result<Self, DbErr> {
        if !url.starts_with("sqlite:") {
            let pool = connect(url, POSTGRES_CONNECTIONS, timeout).await?;
            return Ok(Self {
                reads: pool.clone(),
                writes: pool,
            });
        }
        if url.contains(":memory:") || url.contains("mode=memory") {
            // Every connection to an in-memory database opens a different database.
            let pool = connect(url, 1, SQLITE_WRITER_ACQUIRE_TIMEOUT).await?;
            return Ok(Self {
                reads: pool.clone(),
                writes: pool,
            });
        }
        let writes = connect(url, 1, SQLITE_WRITER_ACQUIRE_TIMEOUT).await?;
        let reads = connect(url, SQLITE_READERS, timeout).await?;
        Ok(Self { reads, writes })
    }
}

/// Connections of the projector's own, for the projector's runtime: on Postgres a small pool
/// that connects lazily, so its connections are made (and their I/O driven) by the runtime
/// that uses them, not by the request handlers' runtime; SQLite's connections belong to no
/// runtime (each has a thread of its own), so the projector shares `pools`.
pub async fn projector_connection(
    url: &str,
    pools: &Pools,
    timeout: Duration,
) -> Result<DatabaseConnection, DbErr> {
    if url.starts_with("sqlite:") {
        return Ok(pools.writes.clone());
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(PROJECTOR_CONNECTIONS)
        .min_connections(0)
        .connect_lazy(true)
        .sqlx_logging(false)
        .acquire_timeout(timeout)
        .connect_timeout(timeout);
    Database::connect(options).await
}

async fn connect(
    url: &str,
    connections: u32,
    acquire_timeout: Duration,
) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(connections)
        .sqlx_logging(false)
        .acquire_timeout(acquire_timeout)
        .connect_timeout(acquire_timeout)
        .map_sqlx_sqlite_opts(|sqlite| {
            sqlite
                .journal_mode(SqliteJournalMode::Wal)
                // An acknowledged command survives a power loss.
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true)
        });
    Database::connect(options).await
}

/// Starts a transaction that will write: on SQLite it holds the write lock from the start.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// Lets a Postgres transaction commit without waiting for its WAL to reach the disk
/// (`synchronous_commit = off`, for this transaction only). For the projector's batches:
/// the checkpoint commits with the rows, so a database crash loses the last batches and
/// their checkpoint together, and the projector applies them again from the log (which the
/// command side commits durably). SQLite's writes stay as they are.
pub async fn relax_durability(txn: &DatabaseTransaction) -> Result<(), DbErr> {
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        txn.execute_unprepared("SET LOCAL synchronous_commit = off")
            .await?;
    }
    Ok(())
}

/// Postgres SQLSTATEs that mean the server went away or is going away.
const POSTGRES_GONE: [&str; 4] = ["57P01", "57P02", "57P03", "53300"];
/// SQLite's primary result codes for a database that was busy (`SQLITE_BUSY`) or locked
/// (`SQLITE_LOCKED`). sqlx reports the extended code, whose low byte is the primary one:
/// `SQLITE_BUSY_RECOVERY` (261), `SQLITE_BUSY_SNAPSHOT` (517), `SQLITE_BUSY_TIMEOUT` (773),
/// `SQLITE_LOCKED_SHAREDCACHE` (262) and the rest are all worth a retry too.
const SQLITE_BUSY: [i32; 2] = [5, 6];
/// The bits of an extended result code that hold its primary code.
const SQLITE_PRIMARY_CODE_MASK: i32 = 0xff;

/// The database's own error inside `error`, when the database refused a statement.
pub fn database_error(error: &DbErr) -> Option<&(dyn DatabaseError + 'static)> {
    match error {
        DbErr::Query(RuntimeErr::SqlxError(cause)) | DbErr::Exec(RuntimeErr::SqlxError(cause)) => {
            cause.as_database_error()
        }
        _ => None,
    }
}

/// True when the error means the database could not be reached or was busy or locked (worth
/// a retry), as opposed to a statement the database refused.
pub fn is_unavailable(error: &DbErr) -> bool {
    use sea_orm::sqlx::Error;
    let cause = match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Query(RuntimeErr::SqlxError(cause)) | DbErr::Exec(RuntimeErr::SqlxError(cause)) => {
            cause
        }
        _ => return false,
    };
    if let Some(database) = cause.as_database_error() {
        let Some(code) = database.code() else {
            return false;
        };
        return match database.try_downcast_ref::<SqliteError>() {
            Some(_) => code
                .parse::<i32>()
                .is_ok_and(|extended| SQLITE_BUSY.contains(&(extended & SQLITE_PRIMARY_CODE_MASK))),
            None => code.starts_with("08") || POSTGRES_GONE.contains(&code.as_ref()),
        };
    }
    matches!(
        cause.as_ref(),
        Error::Io(_)
            | Error::Tls(_)
            | Error::Protocol(_)
            | Error::PoolTimedOut
            | Error::PoolClosed
            | Error::WorkerCrashed
    )
}

#[cfg(test)]
mod tests {
    use sea_orm::{DbBackend, Statement};

    use super::*;

    /// The code of the database's own error inside `error`.
    fn code(error: &DbErr) -> String {
        let database = database_error(error).unwrap();
        database.code().unwrap().into_owned()
    }

    /// A write in a transaction whose snapshot another connection's commit has made stale:
    /// SQLite refuses it with `SQLITE_BUSY_SNAPSHOT` (517) at once, without waiting.
    #[tokio::test]
    async fn a_stale_snapshot_on_sqlite_is_unavailable() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("busy.db").display());
        let pools = Pools::open(&url, Duration::from_secs(5)).await.unwrap();
        let other = connect(&url, 1, Duration::from_secs(5)).await.unwrap();
        pools
            .writes
            .execute_unprepared("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)")
            .await
            .unwrap();

        let stale = pools.reads.begin().await.unwrap();
        let read = Statement::from_string(DbBackend::Sqlite, "SELECT count(*) FROM t");
        stale.query_one_raw(read).await.unwrap();
        other
            .execute_unprepared("INSERT INTO t VALUES (2)")
            .await
            .unwrap();
        let error = stale
            .execute_unprepared("INSERT INTO t VALUES (3)")
            .await
            .unwrap_err();

        assert_eq!(code(&error), "517", "{error}");
        assert!(is_unavailable(&error), "{error}");
    }

    /// A statement SQLite refuses for what it says (here a constraint) is no outage.
    #[tokio::test]
    async fn a_refused_statement_on_sqlite_is_not_unavailable() {
        let pools = Pools::open("sqlite::memory:", Duration::from_secs(5))
            .await
            .unwrap();
        pools
            .writes
            .execute_unprepared("CREATE TABLE t (x INTEGER PRIMARY KEY)")
            .await
            .unwrap();
        let error = pools
            .writes
            .execute_unprepared("INSERT INTO t VALUES (1); INSERT INTO t VALUES (1)")
            .await
            .unwrap_err();

        assert_eq!(
            code(&error),
            "1555",
            "SQLITE_CONSTRAINT_PRIMARYKEY: {error}"
        );
        assert!(!is_unavailable(&error), "{error}");
    }
}
