//! What the database under the log says about it: which log it is (so a checkpoint taken in
//! one log is never trusted in another), and which session holds back its horizon (so an
//! operator can find the transaction that keeps the projector waiting).

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

use super::EventLog;

impl EventLog {
    /// The log's identity: the Postgres cluster's `system_identifier`, which a copy made by
    /// dump and restore or by logical replication does not share (its transaction ids, and
    /// so its positions, start over). None on SQLite, whose positions travel with the file.
    pub async fn identity(&self) -> Result<Option<String>, DbErr> {
        let db = self.connection();
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(None);
        }
        let sql = "SELECT system_identifier::text AS identity FROM pg_control_system()";
        let row = db
            .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await?;
        row.map(|row| row.try_get("", "identity")).transpose()
    }

    /// The session whose open transaction is the oldest (it holds every newer event back
    /// from the projector); None on SQLite or when there is none.
    pub async fn horizon_holder(&self) -> Result<Option<HorizonHolder>, DbErr> {
        let db = self.connection();
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(None);
        }
        let sql =
            "SELECT pid, format('pid %s (%s, database %s, application %L, %s, transaction open %s s)',
                pid, usename, datname, application_name, state,
                round(extract(epoch FROM now() - xact_start)::numeric, 1)) AS holder
            FROM pg_stat_activity
            WHERE backend_xid IS NOT NULL
            ORDER BY age(backend_xid) DESC
            LIMIT 1";
        let row = db
            .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(HorizonHolder {
            pid: row.try_get("", "pid")?,
            description: row.try_get("", "holder")?,
        }))
    }
}

/// A session holding the horizon back.
#[derive(Debug, Clone, PartialEq)]
pub struct HorizonHolder {
    pub pid: i32,
    /// Who it is, for the log: pid, user, database, application, state, how long open.
    pub description: String,
}
