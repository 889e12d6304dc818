//! Database connections: Postgres in production, SQLite as the embedded default.
//!
//! Every database is opened as [`Pools`]: connections for reads and the ones writers take
//! turns on. On Postgres both are one pool. A SQLite file allows one writer at a time, so
//! its writers share a single connection and queue for it in the pool: a writer waiting
//! for the lock never holds a connection a reader needs (WAL lets readers run beside the
//! writer). Write transactions take the lock up front (`BEGIN IMMEDIATE`), so a read that
//! turns into a write never fails half-way.
//!
//! The pools that serve requests bound how long the database works for one: Postgres stops
//! a statement past `statement_timeout`; SQLite has no such setting, so a reader connection
//! interrupts whatever it runs once it has been out of the pool that long (writers take
//! turns on one connection, with the projector, and their transactions are short).

use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use sea_orm::sqlx::error::DatabaseError;
use sea_orm::sqlx::pool::PoolConnectionMetadata;
use sea_orm::sqlx::sqlite::{SqliteConnection, SqliteError, SqliteJournalMode, SqliteSynchronous};
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
/// How many SQLite virtual-machine instructions run between two looks at the clock.
const SQLITE_CLOCK_STEPS: i32 = 10_000;

/// One database's connections.
#[derive(Clone)]
pub struct Pools {
    pub reads: DatabaseConnection,
    pub writes: DatabaseConnection,
}

impl Pools {
    /// Opens `url` (`postgres://…` or `sqlite://…`); a connection not had within `timeout`
    /// is an unavailable database. With `statement_timeout`, no statement of a request runs
    /// longer (for the pools that serve requests; migrations lift it, see
    /// [`lift_statement_timeout`]).
    pub async fn open(
        url: &str,
        timeout: Duration,
        statement_timeout: Option<Duration>,
    ) -> Result<Self, DbErr> {
        if !url.starts_with("sqlite:") {
            let mut options = options(url, POSTGRES_CONNECTIONS, timeout);
            if let Some(limit) = statement_timeout {
                options.statement_timeout(limit);
            }
            let pool = Database::connect(options).await?;
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
        let mut reads = options(url, SQLITE_READERS, timeout);
        if let Some(limit) = statement_timeout {
            reads
                .map_sqlx_sqlite_pool_opts(move |pool| {
                    pool.after_connect(move |connection, _| interrupt_after(connection, limit))
                })
                .map_sqlx_sqlite_before_acquire(move |connection, _: PoolConnectionMetadata| {
                    Box::pin(async move {
                        interrupt_after(connection, limit).await?;
                        Ok(true)
                    })
                });
        }
        let reads = Database::connect(reads).await?;
        Ok(Self { reads, writes })
    }
}

/// Makes a SQLite connection interrupt what it runs once `limit` has passed from now: its
/// statement then fails with `SQLITE_INTERRUPT`.
fn interrupt_after(
    connection: &mut SqliteConnection,
    limit: Duration,
) -> BoxFuture<'_, Result<(), sea_orm::sqlx::Error>> {
    Box::pin(async move {
        let deadline = Instant::now() + limit;
        connection
            .lock_handle()
            .await?
            .set_progress_handler(SQLITE_CLOCK_STEPS, move || Instant::now() < deadline);
        Ok(())
    })
}

/// Lets the statements of `txn` run as long as they need (Postgres): for migrations, which
/// run on the pools that serve requests.
pub async fn lift_statement_timeout(txn: &DatabaseTransaction) -> Result<(), DbErr> {
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        txn.execute_unprepared("SET LOCAL statement_timeout = 0")
            .await?;
    }
    Ok(())
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
    Database::connect(options(url, connections, acquire_timeout)).await
}

fn options(url: &str, connections: u32, acquire_timeout: Duration) -> ConnectOptions {
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
    options
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

/// Postgres SQLSTATEs that mean the server went away or is going away, or stopped a
/// statement that ran past its `statement_timeout` (`57014`).
const POSTGRES_GONE: [&str; 5] = ["57P01", "57P02", "57P03", "53300", "57014"];
/// SQLite's primary result codes for a database that was busy (`SQLITE_BUSY`) or locked
/// (`SQLITE_LOCKED`). sqlx reports the extended code, whose low byte is the primary one:
/// `SQLITE_BUSY_RECOVERY` (261), `SQLITE_BUSY_SNAPSHOT` (517), `SQLITE_BUSY_TIMEOUT` (773),
/// `SQLITE_LOCKED_SHAREDCACHE` (262) and the rest are all worth a retry too.
const SQLITE_BUSY: [i32; 2] = [5, 6];
/// SQLite's code for a statement interrupted (`SQLITE_INTERRUPT`): here, past its time.
const SQLITE_INTERRUPT: i32 = 9;
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

/// True when the error means the database could not be reached, was busy or locked, or ran
/// a statement past its time (worth a retry), as opposed to a statement it refused.
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
            Some(_) => code.parse::<i32>().is_ok_and(|extended| {
                let primary = extended & SQLITE_PRIMARY_CODE_MASK;
                SQLITE_BUSY.contains(&primary) || primary == SQLITE_INTERRUPT
            }),
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
        let pools = Pools::open(&url, Duration::from_secs(5), None)
            .await
            .unwrap();
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

    /// A read that would never end is interrupted once its connection has been out of the
    /// pool longer than the statement timeout: unavailable (worth a retry), and the pool
    /// serves the next read.
    #[tokio::test]
    async fn a_sqlite_read_past_the_statement_timeout_is_interrupted() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("slow.db").display());
        let limit = Duration::from_millis(200);
        let pools = Pools::open(&url, Duration::from_secs(5), Some(limit))
            .await
            .unwrap();
        let endless = Statement::from_string(
            DbBackend::Sqlite,
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) \
             SELECT count(*) FROM n",
        );
        // Twice: a fresh connection, then one handed out again from the pool.
        for _ in 0..2 {
            let started = Instant::now();
            let read = tokio::time::timeout(
                Duration::from_secs(10),
                pools.reads.query_one_raw(endless.clone()),
            );
            let error = read.await.expect("interrupted, not endless").unwrap_err();
            assert!(started.elapsed() < Duration::from_secs(5));
            assert_eq!(code(&error), "9", "SQLITE_INTERRUPT: {error}");
            assert!(is_unavailable(&error), "{error}");
            let one = Statement::from_string(DbBackend::Sqlite, "SELECT 1");
            pools.reads.query_one_raw(one).await.unwrap();
        }
    }

    /// A statement SQLite refuses for what it says (here a constraint) is no outage.
    #[tokio::test]
    async fn a_refused_statement_on_sqlite_is_not_unavailable() {
        let pools = Pools::open("sqlite::memory:", Duration::from_secs(5), None)
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
