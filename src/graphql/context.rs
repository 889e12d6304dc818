//! What resolvers get from the context: the services, and who is asking.

use super::admission::WriteAdmission;
use crate::auth::Caller;
use crate::command::{CommandContext, CommandService, IdempotencyClaim};
use crate::event_log::{EventMetadata, Position};
use crate::query::{
    ChangeStream, OrganizationDirectory, ParkedEvents, ReadProgress, UserDirectory,
};

/// The application's services, shared by every request.
#[derive(Clone)]
pub struct Services {
    pub commands: CommandService,
    pub admission: WriteAdmission,
    pub users: UserDirectory,
    pub organizations: OrganizationDirectory,
    pub progress: ReadProgress,
    pub changes: ChangeStream,
    pub parked: ParkedEvents,
}

/// One request's caller, attached by the HTTP layer (or the WebSocket's `connection_init`).
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub caller: Caller,
    pub request_id: String,
    /// The position the request's consistency token names (the origin without one): what
    /// it reads reflects at least this.
    pub read_at_least: Position,
    /// The request's `Idempotency-Key`, if it has one (HTTP only).
    pub idempotency_key: Option<IdempotencyKey>,
}

/// An `Idempotency-Key` and the hash of the request body it came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    pub key: String,
    pub request_hash: String,
}

impl RequestContext {
    /// Who runs a command for the mutation `field` (its response key), as its event records
    /// it, and under which idempotency key.
    pub fn command_context(&self, field: &str) -> CommandContext {
        let actor = self.caller.sub().map(str::to_owned);
        let idempotency = self
            .idempotency_key
            .as_ref()
            .zip(actor.clone())
            .map(|(key, caller)| IdempotencyClaim {
                caller,
                key: key.key.clone(),
                field: field.to_owned(),
                request_hash: key.request_hash.clone(),
            });
        CommandContext {
            metadata: EventMetadata {
                actor,
                request_id: Some(self.request_id.clone()),
            },
            idempotency,
        }
    }
}
