//! The id of the request being served, for the errors and log lines that are not handed its
//! [`super::RequestContext`]: set around each HTTP request and each poll of a WebSocket
//! operation.

use std::future::Future;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// Runs `request` with `id` as its request id.
pub async fn scope<F: Future>(id: String, request: F) -> F::Output {
    REQUEST_ID.scope(id, request).await
}

/// Runs `step` (one poll of a longer-lived operation) with `id` as its request id.
pub(super) fn sync_scope<R>(id: String, step: impl FnOnce() -> R) -> R {
    REQUEST_ID.sync_scope(id, step)
}

/// The id of the request being served, when there is one.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(String::clone).ok()
}
