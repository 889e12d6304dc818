//! Idempotency keys live 24 hours (API.md's promise), then are purged: every instance
//! looks hourly, so a key is gone between 24 and 25 hours after it was taken.

use std::future::Future;
use std::time::Duration;

use chrono::Utc;

use crate::command::CommandService;

const KEY_LIFETIME: Duration = Duration::from_secs(24 * 3600);
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// Purges expired keys until `stop` completes.
pub(super) async fn purge_expired_keys(commands: CommandService, stop: impl Future<Output = ()>) {
    let mut ticks = tokio::time::interval(PURGE_EVERY);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = &mut stop => return,
        }
        let Ok(lifetime) = chrono::Duration::from_std(KEY_LIFETIME) else {
            return;
        };
        match commands.purge_idempotency_keys(Utc::now() - lifetime).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "expired idempotency keys purged"),
            Err(error) => tracing::warn!(%error, "idempotency keys could not be purged"),
        }
    }
}
