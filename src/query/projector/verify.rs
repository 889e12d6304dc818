//! `rosterql verify-projections`: every read row against what the event log says it should
//! be, on a live service. The verification holds the projector's checkpoint for its
//! transaction (the projector's next batch waits for it, reads go on), so the read tables
//! it sees are exactly the log folded up to the checkpoint: a difference is drift, never
//! lag. It folds the log into rows with the projector's own fold (leaving out the events the
//! projector parked, as it did), compares every column of both tables, and with `repair`
//! writes the rows the log says and removes the ones it does not name, in the same
//! transaction, announcing it so that every instance drops its cache and catches its
//! listeners up.

use std::collections::{HashMap, HashSet};
use std::fmt;

use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, IdenStatic, Iterable, ModelTrait,
    QueryFilter,
};
use uuid::Uuid;

use super::BATCH_SIZE;
use super::announcement::Announcement;
use super::apply::fold::{Fold, Writes};
use super::apply::write;
use super::{checkpoint, parked};
use crate::db;
use crate::event_log::{EventLog, Position};
use crate::query::store::{organization_profiles, user_profiles};

/// One read row that is not what the event log says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub table: &'static str,
    pub id: Uuid,
    pub kind: DifferenceKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DifferenceKind {
    /// The log names the row; the read table lacks it.
    Missing,
    /// The read table holds a row the log does not name (or names as deleted).
    Unexpected,
    /// Both have the row; these columns differ.
    Differs(Vec<&'static str>),
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self { table, id, kind } = self;
        match kind {
            DifferenceKind::Missing => write!(f, "{table} {id}: missing"),
            DifferenceKind::Unexpected => write!(f, "{table} {id}: not in the event log"),
            DifferenceKind::Differs(columns) => {
                write!(f, "{table} {id}: differs in {}", columns.join(", "))
            }
        }
    }
}

/// What a verification found, at which checkpoint.
#[derive(Debug)]
pub struct Verification {
    pub position: Position,
    pub users: usize,
    pub organizations: usize,
    pub differences: Vec<Difference>,
}

/// Verifies the read tables on `read_db` against `log`; with `repair`, rewrites what
/// differs.
pub async fn verify(
    log: &EventLog,
    read_db: &DatabaseConnection,
    repair: bool,
) -> Result<Verification, DbErr> {
    let txn = db::begin_write(read_db).await?;
    // Until this transaction ends, the projector's next batch waits, and the read tables
    // stay the log folded up to here.
    let position = checkpoint::hold(&txn).await?.position;
    let parked = parked::positions(&txn).await?;
    let expected = fold_up_to(log, position, &parked).await?;
    let users = user_profiles::Entity::find().all(&txn).await?;
    let organizations = organization_profiles::Entity::find().all(&txn).await?;
    let (users, organizations) = (
        Compared::of::<user_profiles::Entity>("user_profiles", expected.users, users, |row| row.id),
        Compared::of::<organization_profiles::Entity>(
            "organization_profiles",
            expected.organizations,
            organizations,
            |row| row.id,
        ),
    );
    let differences: Vec<Difference> = [&users.differences, &organizations.differences]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    if repair && !differences.is_empty() {
        let writes = Writes {
            deleted_users: users.unexpected,
            users: users.rewrite,
            organizations: organizations.rewrite,
            ..Writes::default()
        };
        write::store(&txn, writes).await?;
        organization_profiles::Entity::delete_many()
            .filter(organization_profiles::Column::Id.is_in(organizations.unexpected))
            .exec(&txn)
            .await?;
        let repaired = Announcement {
            from: position,
            to: position,
            stale: None,
            rebuilt: true,
        };
        repaired.send(&txn).await?;
    }
    txn.commit().await?;
    Ok(Verification {
        position,
        users: users.rows,
        organizations: organizations.rows,
        differences,
    })
}

/// The rows the log's events up to `position` leave, folded as the projector folds them,
/// without the events it parked.
async fn fold_up_to(
    log: &EventLog,
    position: Position,
    parked: &HashSet<Position>,
) -> Result<Writes, DbErr> {
    let mut fold = Fold::new(Vec::new(), Vec::new());
    let mut after = Position::ORIGIN;
    while after < position {
        let batch = log.read_after(after, BATCH_SIZE).await?.up_to(position);
        let Some(end) = batch.end() else {
            return Err(DbErr::RecordNotFound(format!(
                "the event log does not reach the checkpoint {position}"
            )));
        };
        after = end;
        if let Some(unreadable) = batch
            .unreadable
            .iter()
            .find(|event| !parked.contains(&event.position))
        {
            return Err(DbErr::Custom(format!(
                "the event at {} cannot be read, and the projector has not parked it: {}",
                unreadable.position, unreadable.error
            )));
        }
        for event in &batch.events {
            if !parked.contains(&event.position) {
                fold.apply(event)?;
            }
        }
        fold.forget_changes();
    }
    Ok(fold.finish()?.0)
}

/// One table compared: what differs, and what a repair writes and removes.
struct Compared<M> {
    rows: usize,
    differences: Vec<Difference>,
    rewrite: Vec<M>,
    unexpected: Vec<Uuid>,
}

impl<M: Clone> Compared<M> {
    fn of<E>(table: &'static str, expected: Vec<M>, actual: Vec<M>, id: impl Fn(&M) -> Uuid) -> Self
    where
        E: EntityTrait<Model = M>,
        M: ModelTrait<Entity = E>,
    {
        let rows = expected.len();
        let mut actual: HashMap<Uuid, M> = actual.into_iter().map(|row| (id(&row), row)).collect();
        let mut compared = Self {
            rows,
            differences: Vec::new(),
            rewrite: Vec::new(),
            unexpected: Vec::new(),
        };
        for row in expected {
            let kind = match actual.remove(&id(&row)) {
                None => DifferenceKind::Missing,
                Some(stored) => {
                    let columns: Vec<&'static str> = E::Column::iter()
                        .filter(|column| row.get(*column) != stored.get(*column))
                        .map(|column| column.as_str())
                        .collect();
                    if columns.is_empty() {
                        continue;
                    }
                    DifferenceKind::Differs(columns)
                }
            };
            compared.differences.push(Difference {
                table,
                id: id(&row),
                kind,
            });
            compared.rewrite.push(row);
        }
        let mut unexpected: Vec<Uuid> = actual.into_keys().collect();
        unexpected.sort_unstable();
        for id in &unexpected {
            compared.differences.push(Difference {
                table,
                id: *id,
                kind: DifferenceKind::Unexpected,
            });
        }
        compared.unexpected = unexpected;
        compared
    }
}
