//! One operation of a `graphql-transport-ws` socket, run on a task of its own. Its results
//! reach the socket through a queue of bounded size: when the queue stays full for the send
//! timeout, the listener is too slow to keep up, and the task reports it instead of holding
//! more. A subscription that merely lags behind the change feed catches up from the event
//! log, so nothing waits in memory beyond the queue. A query or mutation has the execution
//! timeout for its one result, as over HTTP; a subscription runs as long as it is wanted.

use std::future::ready;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::{Data, Request, Response};
use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::SendTimeoutError;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::task::AbortOnDropHandle;

use super::messages::ServerMessage;
use crate::graphql::{ClientError, RosterSchema};

/// An operation's `next` messages, then `None` once it has ended.
pub(super) type Results = BoxStream<'static, Option<String>>;

/// Where an operation reports that its listener is too slow: its id.
pub(super) type TooSlow = mpsc::UnboundedSender<String>;

/// A running operation: dropping it stops it.
pub(super) struct Running {
    _task: AbortOnDropHandle<()>,
}

/// How long a query or mutation may take for its one result (None: a subscription).
pub(super) type Deadline = Option<Duration>;

/// How an operation's results are queued.
#[derive(Clone, Copy)]
pub(super) struct Queueing {
    pub(super) capacity: usize,
    pub(super) timeout: Duration,
}

/// Starts `request` as operation `id`; returns it and its results.
pub(super) fn start(
    schema: &RosterSchema,
    id: String,
    request: Request,
    session: Arc<Data>,
    deadline: Deadline,
    queueing: Queueing,
    too_slow: TooSlow,
) -> (Running, Results) {
    let (queue, taken) = mpsc::channel(queueing.capacity);
    let mut responses = schema.execute_stream_with_session_data(request, session);
    if let Some(limit) = deadline {
        responses = within(limit, responses);
    }
    let task = tokio::spawn(produce(id, responses, queue, queueing.timeout, too_slow));
    let results = ReceiverStream::new(taken)
        .map(Some)
        .chain(stream::once(ready(None)))
        .boxed();
    (
        Running {
            _task: AbortOnDropHandle::new(task),
        },
        results,
    )
}

/// The one response of a query or mutation, or a `SERVICE_UNAVAILABLE` error once `limit`
/// has passed without it.
fn within(
    limit: Duration,
    mut responses: BoxStream<'static, Response>,
) -> BoxStream<'static, Response> {
    stream::once(async move {
        match tokio::time::timeout(limit, responses.next()).await {
            Ok(response) => response,
            Err(_) => {
                let limit_text = humantime::format_duration(limit);
                tracing::warn!(limit = %limit_text, "a WebSocket operation ran out of time");
                let error = ClientError::timed_out(limit).into_server_error();
                Some(Response::from_errors(vec![error]))
            }
        }
    })
    .filter_map(ready)
    .boxed()
}

async fn produce(
    id: String,
    mut responses: BoxStream<'static, Response>,
    queue: mpsc::Sender<String>,
    timeout: Duration,
    too_slow: TooSlow,
) {
    while let Some(response) = responses.next().await {
        let next = ServerMessage::Next {
            id: &id,
            payload: &response,
        }
        .text();
        match queue.send_timeout(next, timeout).await {
            Ok(()) => {}
            Err(SendTimeoutError::Closed(_)) => return,
            Err(SendTimeoutError::Timeout(_)) => {
                // The socket is closed for this; the queue stays open so that the client is
                // not told the operation completed.
                let _ = too_slow.send(id);
                return std::future::pending().await;
            }
        }
    }
}
