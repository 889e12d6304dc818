//! Which instance's projector applies the log: on Postgres, the holder of a session-level
//! advisory lock on the read database, taken on a connection of its own (never one a pool
//! hands around), so the lead ends exactly when that connection does — the process died,
//! the network broke, the database restarted. Server-side TCP keepalives on that connection
//! make Postgres notice a silent network loss, and the leader checks its connection on a
//! timer: a leader that cannot reach it stops leading. A former leader that has not noticed
//! yet cannot overwrite newer work either: the checkpoint moves by compare-and-set.
//!
//! SQLite is one process: its one instance always leads.

use std::str::FromStr;
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection};
use sea_orm::sqlx::{self, ConnectOptions, Connection};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};

/// The advisory lock's two keys: ("rost", the read model's projector).
const LOCK_CLASS: i32 = 0x726f_7374;
const LOCK_OBJECT: i32 = 1;
/// How instances are named in `pg_stat_activity.application_name`.
const APPLICATION_PREFIX: &str = "rosterql/";

/// How this process competes for the projector's lead.
pub enum Leadership {
    /// The only instance there can be (SQLite).
    Sole { instance: String },
    Postgres {
        options: Box<PgConnectOptions>,
        instance: String,
        /// The connection that asks for the lock, kept between tries.
        candidate: Option<PgConnection>,
    },
}

/// The lead, while held.
pub enum Lease {
    Sole,
    Postgres(PgConnection),
}

impl Leadership {
    /// Competes on the read database at `read_url` as `instance`.
    pub fn new(read_url: &str, instance: String) -> Result<Self, sqlx::Error> {
        if read_url.starts_with("sqlite:") {
            return Ok(Self::Sole { instance });
        }
        let name = format!("{APPLICATION_PREFIX}{instance}");
        let options = PgConnectOptions::from_str(read_url)?
            .application_name(&name)
            .options([
                ("tcp_keepalives_idle", "5"),
                ("tcp_keepalives_interval", "2"),
                ("tcp_keepalives_count", "3"),
            ])
            .disable_statement_logging();
        Ok(Self::Postgres {
            options: Box::new(options),
            instance,
            candidate: None,
        })
    }

    pub fn instance(&self) -> &str {
        match self {
            Self::Sole { instance } | Self::Postgres { instance, .. } => instance,
        }
    }

    /// Tries once to take the lead, waiting at most `timeout` for the database.
    pub async fn try_lead(&mut self, timeout: Duration) -> Result<Option<Lease>, sqlx::Error> {
        let Self::Postgres {
            options, candidate, ..
        } = self
        else {
            return Ok(Some(Lease::Sole));
        };
        let attempt = async {
            let mut connection = match candidate.take() {
                Some(connection) => connection,
                None => options.connect().await?,
            };
            let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
                .bind(LOCK_CLASS)
                .bind(LOCK_OBJECT)
                .fetch_one(&mut connection)
                .await?;
            Ok::<_, sqlx::Error>((locked, connection))
        };
        match tokio::time::timeout(timeout, attempt).await {
            Ok(Ok((true, connection))) => Ok(Some(Lease::Postgres(connection))),
            Ok(Ok((false, connection))) => {
                *candidate = Some(connection);
                Ok(None)
            }
            Ok(Err(error)) => Err(error),
            Err(_) => Err(sqlx::Error::PoolTimedOut),
        }
    }
}

impl Lease {
    /// Resolves once the lead is lost: the lock's connection failed a check (one every
    /// `every`, each allowed `every` to answer). The sole instance never loses it.
    pub async fn lost(&mut self, every: Duration) {
        let Self::Postgres(connection) = self else {
            return std::future::pending().await;
        };
        loop {
            tokio::time::sleep(every).await;
            match tokio::time::timeout(every, connection.ping()).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => {
                    tracing::warn!(%error, "the projector's lead was lost with its connection");
                    return;
                }
                Err(_) => {
                    tracing::warn!(
                        "the projector's lead was lost: its connection stopped answering"
                    );
                    return;
                }
            }
        }
    }

    /// Gives the lead up (at shutdown), so another instance can take it at once.
    pub async fn release(self) {
        if let Self::Postgres(connection) = self {
            let _ = connection.close().await;
        }
    }
}

/// The instance whose projector leads now, by the name it gave Postgres; None when none
/// does. `sole` is the answer on SQLite.
pub async fn current_leader(
    read_db: &DatabaseConnection,
    sole: &str,
) -> Result<Option<String>, DbErr> {
    if read_db.get_database_backend() != DbBackend::Postgres {
        return Ok(Some(sole.to_owned()));
    }
    let holder = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT activity.application_name AS name
         FROM pg_locks AS lock JOIN pg_stat_activity AS activity USING (pid)
         WHERE lock.locktype = 'advisory' AND lock.granted
           AND lock.classid::bigint = $1 AND lock.objid::bigint = $2 AND lock.objsubid = 2
           AND lock.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        [i64::from(LOCK_CLASS).into(), i64::from(LOCK_OBJECT).into()],
    );
    let Some(row) = read_db.query_one_raw(holder).await? else {
        return Ok(None);
    };
    let name: String = row.try_get("", "name")?;
    Ok(Some(
        name.strip_prefix(APPLICATION_PREFIX)
            .unwrap_or(&name)
            .to_owned(),
    ))
}
