//! Holding the projector back, deterministically and without sleeps, so a test can look at
//! the server while the read side is known to be behind.
//!
//! - Postgres: a transaction on the command database that takes a transaction id and stays
//!   open holds the horizon (`pg_snapshot_xmin`): nothing committed after it is settled, so
//!   the projector reads up to it and stops (`rosterql_projector_blocked_reads_total`). The
//!   horizon is the cluster's, so a hold slows every test's projector while it lasts: keep
//!   it short.
//! - SQLite: one writer at a time means the log itself cannot be held, so the server runs
//!   on split databases and the hold takes the read file's write lock (`BEGIN IMMEDIATE`)
//!   from a connection of its own: the projector cannot begin its batch. The server waits
//!   up to its busy timeout (10 s) before it counts a failed batch, so a hold must be
//!   released well before that ([`MAX_SQLITE_HOLD`]).

use std::ops::Deref;
use std::time::{Duration, Instant};

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use super::{Backend, TestApp, TestDatabase};

/// The Postgres `application_name` of a hold's session.
pub(crate) const HOLD_APPLICATION: &str = "rosterql-test-hold";

/// How long a SQLite hold may last: well inside the server's 10 s busy timeout.
pub(crate) const MAX_SQLITE_HOLD: Duration = Duration::from_secs(6);

/// A server (the real binary, in a process of its own, so its metrics are its own) whose
/// projector a test can hold back: on SQLite its read side is a second database file.
pub(crate) struct HoldableApp {
    app: TestApp,
    backend: Backend,
    /// The database a hold is taken on: the command database on Postgres, the read one on
    /// SQLite.
    held_url: String,
    _read: Option<TestDatabase>,
}

impl HoldableApp {
    /// `rosterql serve` on `database` with `env` on top (see [`TestApp::spawn_process`]).
    pub(crate) async fn start(database: TestDatabase, env: &[(&str, &str)]) -> Self {
        let backend = database.backend();
        match backend {
            Backend::Postgres => {
                let held_url = database.url.clone();
                let app = TestApp::spawn_process(database, env).await;
                Self {
                    app,
                    backend,
                    held_url,
                    _read: None,
                }
            }
            Backend::Sqlite => {
                let read = TestDatabase::create(Backend::Sqlite).await;
                let held_url = read.url.clone();
                let mut env = env.to_vec();
                env.push(("READ_DATABASE_URL", read.url.as_str()));
                let app = TestApp::spawn_process(database, &env).await;
                Self {
                    app,
                    backend,
                    held_url,
                    _read: Some(read),
                }
            }
        }
    }

    /// The read database's URL (a file of its own on SQLite).
    pub(crate) fn read_url(&self) -> &str {
        match self.backend {
            Backend::Postgres => &self.app.database().url,
            Backend::Sqlite => &self.held_url,
        }
    }

    /// Holds the projector back from here on: what commits after this call is not applied
    /// until [`Hold::release`] (on Postgres, what committed before may still be).
    pub(crate) async fn hold(&self) -> Hold {
        Hold::take(self.backend, &self.held_url).await
    }
}

impl Deref for HoldableApp {
    type Target = TestApp;

    fn deref(&self) -> &TestApp {
        &self.app
    }
}

/// The projector held back; [`Self::release`] lets it go (so does dropping the guard).
pub(crate) struct Hold {
    transaction: Option<DatabaseTransaction>,
    _connection: DatabaseConnection,
    backend: Backend,
    taken: Instant,
}

impl Hold {
    async fn take(backend: Backend, url: &str) -> Self {
        // Named, so that what the server says about the session holding it back can be
        // recognised.
        let url = match backend {
            Backend::Postgres => format!("{url}?application_name={HOLD_APPLICATION}"),
            Backend::Sqlite => url.to_owned(),
        };
        let mut options = ConnectOptions::new(url);
        options.max_connections(1).sqlx_logging(false);
        let connection = Database::connect(options)
            .await
            .expect("a connection to hold the projector with");
        let transaction = match backend {
            Backend::Postgres => {
                let transaction = connection.begin().await.expect("a transaction");
                // A transaction id: from now on it is the oldest one running.
                transaction
                    .execute_unprepared("SELECT pg_current_xact_id()")
                    .await
                    .expect("a transaction id");
                transaction
            }
            Backend::Sqlite => connection
                .begin_with_options(TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                    ..TransactionOptions::default()
                })
                .await
                .expect("the read database's write lock"),
        };
        Self {
            transaction: Some(transaction),
            _connection: connection,
            backend,
            taken: Instant::now(),
        }
    }

    /// Lets the projector go.
    pub(crate) async fn release(mut self) {
        let held = self.taken.elapsed();
        if let Some(transaction) = self.transaction.take() {
            transaction.rollback().await.expect("the hold ends");
        }
        if self.backend == Backend::Sqlite {
            assert!(
                held < MAX_SQLITE_HOLD,
                "the read file was locked for {held:?}: the server's busy timeout may have \
                 run out, so what the test saw is not what a hold shows"
            );
        }
    }
}
