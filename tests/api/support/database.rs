//! A database of its own for each test: a SQLite file in a temp dir, or a new Postgres
//! database, dropped after the test.

use std::sync::Arc;

use rosterql::command::CommandService;
use rosterql::db::Pools;
use sea_orm::{ConnectionTrait, Database};
use tokio::sync::Notify;

use super::Backend;
use super::harness::postgres_admin_url;

/// A database that exists for one test and is dropped after it.
pub(crate) struct TestDatabase {
    pub(crate) url: String,
    backend: Backend,
    postgres_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// A fresh database. A Postgres trial only runs once Postgres answered the harness's
    /// probe, so failing to create one here fails the test.
    pub(crate) async fn create(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temp dir");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("rosterql.db").display()
                );
                Self {
                    url,
                    backend,
                    postgres_name: None,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let base = postgres_admin_url();
                let admin = Database::connect(&base)
                    .await
                    .unwrap_or_else(|error| panic!("Postgres is unreachable at {base}: {error}"));
                let name = format!("rosterql_test_{}", uuid::Uuid::new_v4().simple());
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("creating a test database");
                let url = format!(
                    "{}/{name}",
                    base.rsplit_once('/').expect("a database URL").0
                );
                Self {
                    url,
                    backend,
                    postgres_name: Some(name),
                    _dir: None,
                }
            }
        }
    }

    /// The backend this database is on (to make another one beside it).
    pub(crate) fn backend(&self) -> Backend {
        self.backend
    }

    /// Drops this Postgres database now, from under the server that runs on it (a database
    /// that goes away).
    pub(crate) async fn drop_now(&self) {
        let name = self.postgres_name.as_ref().expect("a Postgres database");
        let admin = Database::connect(postgres_admin_url())
            .await
            .expect("the admin database");
        admin
            .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .await
            .expect("the database drops");
    }

    /// A command side of its own on this database, as another process would have: its
    /// commits reach a running server's projector only through polling.
    pub(crate) async fn command_service(&self) -> CommandService {
        let pools = Pools::open(&self.url, std::time::Duration::from_secs(5), None)
            .await
            .expect("the database opens");
        CommandService::new(pools.writes, Arc::new(Notify::new()))
    }
}

/// Runs `sql` on the database at `url`, as an operator by hand would; returns the rows it
/// changed.
pub(crate) async fn execute_sql(url: &str, sql: &str) -> u64 {
    let db = Database::connect(url).await.expect("the database opens");
    let statement = sea_orm::Statement::from_string(db.get_database_backend(), sql.to_owned());
    let done = db.execute_raw(statement).await;
    done.unwrap_or_else(|error| panic!("{sql}: {error}"))
        .rows_affected()
}

impl Backend {
    /// A uuid as a literal of this backend's id columns.
    pub(crate) fn id_literal(self, id: &str) -> String {
        match self {
            Self::Postgres => format!("'{id}'"),
            Self::Sqlite => format!("X'{}'", id.replace('-', "")),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(name) = self.postgres_name.take() else {
            return;
        };
        // Drop runs outside async: use a short-lived runtime on its own thread.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let admin = Database::connect(postgres_admin_url()).await.ok()?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .ok()
            })
        })
        .join();
    }
}
