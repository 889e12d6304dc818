//! `cargo run -p migration -- [up|down|status|refresh|reset]`, like any SeaORM project,
//! except that the migrations come in two sets: the command side's run on `DATABASE_URL`
//! and the read side's on `READ_DATABASE_URL` (default: `DATABASE_URL`). There is no
//! `fresh`: it drops every table of a database, which would take the other side's with it.

use clap::{Parser, Subcommand};
use migration::{CommandMigrator, MigratorTrait, ReadMigrator};
use sea_orm_migration::sea_orm::{Database, DatabaseConnection, DbErr};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(about = "rosterql's migrations: the command side's and the read side's")]
struct Cli {
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// [default: DATABASE_URL]
    #[arg(long, env = "READ_DATABASE_URL")]
    read_database_url: Option<String>,
    #[command(subcommand)]
    step: Option<Step>,
}

#[derive(Clone, Copy, Subcommand)]
enum Step {
    /// Apply pending migrations (the default).
    Up {
        #[arg(short, long)]
        num: Option<u32>,
    },
    /// Roll back the last `num` migrations of each side.
    Down {
        #[arg(short, long, default_value_t = 1)]
        num: u32,
    },
    /// Show which migrations are applied.
    Status,
    /// Roll back every migration, then apply them all again.
    Refresh,
    /// Roll back every migration.
    Reset,
}

impl Step {
    /// Steps that take schema away run on the read side first: it is built from the
    /// command side.
    fn read_side_first(self) -> bool {
        matches!(self, Self::Down { .. } | Self::Reset | Self::Refresh)
    }
}

async fn run<M: MigratorTrait>(db: &DatabaseConnection, step: Step) -> Result<(), DbErr> {
    match step {
        Step::Up { num } => M::up(db, num).await,
        Step::Down { num } => M::down(db, Some(num)).await,
        Step::Status => M::status(db).await,
        Step::Refresh => M::refresh(db).await,
        Step::Reset => M::reset(db).await,
    }
}

#[tokio::main]
async fn main() -> Result<(), DbErr> {
    // What the migrator says, not every statement it runs (RUST_LOG overrides).
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("sea_orm_migration=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .without_time()
        .init();
    let cli = Cli::parse();
    let step = cli.step.unwrap_or(Step::Up { num: None });
    let command = Database::connect(&cli.database_url).await?;
    let read = match cli.read_database_url {
        Some(url) if url != cli.database_url => Database::connect(url).await?,
        _ => command.clone(),
    };
    if step.read_side_first() {
        run::<ReadMigrator>(&read, step).await?;
        run::<CommandMigrator>(&command, step).await
    } else {
        run::<CommandMigrator>(&command, step).await?;
        run::<ReadMigrator>(&read, step).await
    }
}
