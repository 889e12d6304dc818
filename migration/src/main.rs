//! `cargo run -p migration -- up|down|status|fresh|…`: both sides' migrations on the one
//! database named by `DATABASE_URL`. Deployments that split the read side into its own
//! database use `rosterql migrate`, which migrates each database with its own set.

use sea_orm_migration::prelude::*;

#[tokio::main]
async fn main() {
    cli::run_cli(migration::Migrator).await;
}
