//! `projector_checkpoints`: the position of the last event each projector applied.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "projector_checkpoints")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub projector: String,
    pub tx: i64,
    pub seq: i64,
    pub updated_at: DateTimeUtc,
    /// The event log the position counts in (Postgres' `system_identifier`); None on SQLite
    /// and before the first batch.
    pub log_identity: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
