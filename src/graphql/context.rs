//! What resolvers get from the context: the services, and who is asking.

use super::admission::WriteAdmission;
use crate::auth::Caller;
use crate::command::{CommandContext, CommandService};
use crate::event_log::{EventMetadata, Position};
use crate::query::{ChangeStream, OrganizationDirectory, ReadProgress, UserDirectory};

/// The application's services, shared by every request.
#[derive(Clone)]
pub struct Services {
    pub commands: CommandService,
    pub admission: WriteAdmission,
    pub users: UserDirectory,
    pub organizations: OrganizationDirectory,
    pub progress: ReadProgress,
    pub changes: ChangeStream,
}

/// One request's caller, attached by the HTTP layer (or the WebSocket's `connection_init`).
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub caller: Caller,
    pub request_id: String,
    /// The position the request's consistency token names (the origin without one): what
    /// it reads reflects at least this.
    pub read_at_least: Position,
}

impl RequestContext {
    /// Who runs a command, as its event records it.
    pub fn command_context(&self) -> CommandContext {
        CommandContext {
            metadata: EventMetadata {
                actor: self.caller.sub().map(str::to_owned),
                request_id: Some(self.request_id.clone()),
            },
        }
    }
}
