//! Database connections: Postgres in production, SQLite as the embedded default.
//!
//! SQLite gets WAL (readers never wait for the writer), a busy timeout, and write
//! transactions that take the write lock up front (`BEGIN IMMEDIATE`), so that two writers
//! queue instead of failing when one of them upgrades a read to a write.

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Readers run beside the one writer (WAL), so SQLite gets a real pool too (SeaORM's default
/// is one connection, which would queue every read behind every write).
const SQLITE_FILE_CONNECTIONS: u32 = 8;
const POSTGRES_CONNECTIONS: u32 = 20;

/// Opens a pool for `url` (`postgres://…` or `sqlite://…`).
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let connections = if !url.starts_with("sqlite:") {
        POSTGRES_CONNECTIONS
    } else if url.contains(":memory:") || url.contains("mode=memory") {
        // Every connection to an in-memory database opens a different database.
        1
    } else {
        SQLITE_FILE_CONNECTIONS
    };
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(connections)
        .sqlx_logging(false)
        .acquire_timeout(Duration::from_secs(5))
        .map_sqlx_sqlite_opts(|sqlite| {
            sqlite
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
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

/// True when the error means the database could not be reached (worth a retry), as opposed
/// to a statement the database refused.
pub fn is_unavailable(error: &DbErr) -> bool {
    matches!(error, DbErr::ConnectionAcquire(_) | DbErr::Conn(_))
}
