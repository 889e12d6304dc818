//! `parked_events`: the events the projector could not apply and set aside.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "parked_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tx: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub aggregate_type: String,
    pub aggregate_id: Uuid,
    /// The event's name as the log records it (readable even when its payload is not).
    pub event: String,
    pub error: String,
    pub attempts: i32,
    pub parked_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
