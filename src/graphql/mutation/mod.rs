//! Mutation resolvers, split by area. Every mutation but `retryParkedEvents` (which acts on
//! the read side) runs one command through [`execute`]:
//! the admin check, the caller's context, the outcome metric and the payload live there,
//! once; a resolver only names its input.

mod organizations;
mod parked_events;
mod users;

use async_graphql::{Context, ID, InputObject, MergedObject, Result};

use super::error::ClientError;
use super::guard::caller;
use super::ids::parse_id;
use super::{RequestContext, Services};
use crate::command::{Command, CommandOutcome, Target};

#[derive(MergedObject, Default)]
pub struct Mutation(
    organizations::OrganizationMutations,
    users::UserMutations,
    parked_events::ParkedEventMutations,
);

/// A mutation's input: it converts into the command it asks for.
trait CommandInput: Send {
    type Command: Command;

    fn into_command(self) -> Result<Self::Command, ClientError>;
}

/// The part every input that changes an existing aggregate shares.
#[derive(InputObject)]
struct TargetInput {
    id: ID,
    expected_version: i32,
}

impl TargetInput {
    fn parse(&self) -> Result<Target, ClientError> {
        Ok(Target {
            id: parse_id("id", &self.id)?,
            expected_version: self.expected_version,
        })
    }
}

/// Runs the command `input` asks for, as an admin, and counts its outcome under the
/// mutation's field name.
async fn execute<I, P>(ctx: &Context<'_>, input: I) -> Result<P>
where
    I: CommandInput,
    P: From<CommandOutcome>,
{
    let result = run(ctx, input).await;
    let outcome = result
        .as_ref()
        .map_or_else(|error| error.code().as_str(), |_| "OK");
    let command = ctx.field().name().to_owned();
    metrics::counter!("rosterql_commands_total", "command" => command, "outcome" => outcome)
        .increment(1);
    Ok(P::from(result?))
}

async fn run<I: CommandInput>(ctx: &Context<'_>, input: I) -> Result<CommandOutcome, ClientError> {
    caller(ctx).require_admin()?;
    let command = input.into_command()?;
    let field = ctx.field();
    let context = ctx
        .data_opt::<RequestContext>()
        .map(|request| request.command_context(field.alias().unwrap_or(field.name())))
        .unwrap_or_default();
    let services = ctx
        .data::<Services>()
        .map_err(|_| ClientError::missing_services())?;
    services.admission.admit().await;
    let outcome = services.commands.execute(&context, command).await?;
    services.admission.committed(outcome.position);
    Ok(outcome)
}
