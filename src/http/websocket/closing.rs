//! Why the server closes a `graphql-transport-ws` socket: the protocol's close codes
//! (4400, 4401, 4403, 4408, 4409, 4429), 1001 at shutdown, 1009 for a message too big to
//! read and 1013 for what the client may retry later, each with a reason that fits a close
//! frame.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message};

use crate::graphql::ClientError;

/// A close frame's reason holds at most this many bytes (RFC 6455, 5.5: 125 for the frame,
/// 2 of them the code).
const MAX_REASON_BYTES: usize = 123;
/// RFC 6455's "going away": the server is shutting down.
const GOING_AWAY: u16 = 1001;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Closing {
    code: u16,
    reason: String,
}

impl Closing {
    fn new(code: u16, reason: impl Into<String>) -> Self {
        let mut reason = reason.into();
        if reason.len() > MAX_REASON_BYTES {
            let mut end = MAX_REASON_BYTES;
            while !reason.is_char_boundary(end) {
                end -= 1;
            }
            reason.truncate(end);
        }
        Self { code, reason }
    }

    /// 4400: a message the protocol does not know, or one the server cannot read.
    pub(super) fn bad_message(why: impl std::fmt::Display) -> Self {
        Self::new(4400, format!("Invalid message received: {why}"))
    }

    /// 4401: an operation before the connection was acknowledged.
    pub(super) fn unacknowledged() -> Self {
        Self::new(4401, "Unauthorized")
    }

    /// 4403: a `connection_init` refused, or a token that expired while the socket was open;
    /// the reason starts with the error's code.
    pub(super) fn refused(error: &ClientError) -> Self {
        Self::new(
            4403,
            format!("{}: {}", error.code().as_str(), error.message()),
        )
    }

    /// 4408: no `connection_init` within the allowed time.
    /// The server is shutting down: the client reconnects elsewhere.
    pub(super) fn going_away() -> Self {
        Self::new(GOING_AWAY, "the server is shutting down")
    }

    pub(super) fn init_timeout() -> Self {
        Self::new(4408, "Connection initialisation timeout")
    }

    /// 4408: the server's last ping was not answered by the time the next one was due.
    pub(super) fn no_pong(interval: Duration) -> Self {
        Self::new(
            4408,
            format!("no pong within {}", humantime::format_duration(interval)),
        )
    }

    /// 4409: an operation under an id that is already running.
    pub(super) fn duplicate_id(id: &str) -> Self {
        Self::new(4409, format!("Subscriber for {id} already exists"))
    }

    /// 4429: a second `connection_init`.
    pub(super) fn second_init() -> Self {
        Self::new(4429, "Too many initialisation requests")
    }

    /// 1009 (message too big): a message larger than the server reads.
    pub(super) fn too_big(most: usize) -> Self {
        Self::new(1009, format!("a message may be at most {most} bytes"))
    }

    /// 1013 (try again later): the caller already holds as many sockets as it may.
    pub(super) fn too_many_connections(most: usize) -> Self {
        Self::new(
            1013,
            format!("TOO_MANY_CONNECTIONS: at most {most} WebSockets per caller"),
        )
    }

    /// 1013 (try again later, resuming with `after`): a subscription's results waited longer
    /// than the send timeout for the client to take them.
    pub(super) fn too_slow(id: &str, queued: usize, waited: Duration) -> Self {
        Self::new(
            1013,
            format!(
                "SLOW_LISTENER: {queued} results of {id} not taken within {}",
                humantime::format_duration(waited)
            ),
        )
    }

    /// 1013 (try again later, resuming with `after`): the socket did not take a message
    /// within the send timeout.
    pub(super) fn socket_too_slow(waited: Duration) -> Self {
        Self::new(
            1013,
            format!(
                "SLOW_LISTENER: a message not taken within {}",
                humantime::format_duration(waited)
            ),
        )
    }

    pub(super) fn code(&self) -> u16 {
        self.code
    }

    pub(super) fn frame(self) -> Message {
        Message::Close(Some(CloseFrame {
            code: self.code,
            reason: self.reason.into(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_reason_is_cut_to_what_a_close_frame_holds_on_a_character_boundary() {
        let closing = Closing::duplicate_id(&"é".repeat(100));
        assert!(closing.reason.len() <= MAX_REASON_BYTES);
        assert!(closing.reason.starts_with("Subscriber for é"));
    }
}
