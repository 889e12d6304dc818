//! The `rosterql` binary's subcommands, run as a user would run them, its shutdown on a
//! signal, and the committed schema.

use std::process::{Command, Output};

use libtest_mimic::Trial;

mod configuration;
mod invalid_configuration;
mod schema;
mod seed;
mod serve;
mod shutdown;
mod token;

pub(crate) fn trials() -> Vec<Trial> {
    [
        schema::trials(),
        token::trials(),
        seed::trials(),
        serve::trials(),
        shutdown::trials(),
        configuration::trials(),
        invalid_configuration::trials(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Runs `rosterql args…` against `database_url`, with nothing inherited from the
/// environment that could change its configuration.
pub(super) fn rosterql(database_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rosterql"))
        .args(args)
        .env_remove("READ_DATABASE_URL")
        .env_remove("ROSTERQL_JWT_SECRET")
        .env("DATABASE_URL", database_url)
        .output()
        .expect("the binary runs")
}

pub(super) fn succeeded(output: &Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}
