//! Postgres notices (`LISTEN`), heard on a task of their own so that waiting for one never
//! cancels a half-read message, until dropped. Every time the connection is (re)made and
//! listening, a [`Heard::Gap`] says that notices may have been missed before it: whoever
//! listens catches up from the database then, so nothing sent meanwhile goes unseen.

use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use tokio::sync::mpsc;
use tokio_util::task::AbortOnDropHandle;

const RECONNECT_PAUSE: Duration = Duration::from_secs(1);

/// What the listening connection heard.
pub(super) enum Heard {
    Notice(String),
    /// Listening (again): what was sent before may not have been heard.
    Gap,
}

pub(super) struct Notices {
    heard: mpsc::Receiver<Heard>,
    _task: AbortOnDropHandle<()>,
}

impl Notices {
    /// Listens on `channel` of the database at `url`; None for SQLite, which is one
    /// process: nobody else sends anything.
    pub(super) fn listen(url: &str, channel: &'static str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            return None;
        }
        let (sender, heard) = mpsc::channel(1024);
        let url = url.to_owned();
        let task = tokio::spawn(async move {
            loop {
                if let Err(error) = listen_until_lost(&url, channel, &sender).await {
                    if sender.is_closed() {
                        return;
                    }
                    tracing::warn!(%error, channel, "not listening for notices; reconnecting");
                    tokio::time::sleep(RECONNECT_PAUSE).await;
                }
            }
        });
        Some(Self {
            heard,
            _task: AbortOnDropHandle::new(task),
        })
    }

    /// What was heard and not yet taken, without waiting.
    pub(super) fn try_next(&mut self) -> Option<Heard> {
        self.heard.try_recv().ok()
    }

    /// The next thing heard.
    pub(super) async fn next(&mut self) -> Heard {
        // The task only ends when this is dropped, so the channel stays open.
        self.heard.recv().await.unwrap_or(Heard::Gap)
    }
}

/// Listens until the connection fails for good (an error); a dropped connection that the
/// listener re-makes is a gap.
async fn listen_until_lost(
    url: &str,
    channel: &str,
    sender: &mpsc::Sender<Heard>,
) -> Result<(), sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(channel).await?;
    let mut next = Heard::Gap;
    loop {
        if sender.send(next).await.is_err() {
            return Ok(());
        }
        next = match listener.try_recv().await? {
            Some(notice) => Heard::Notice(notice.payload().to_owned()),
            None => Heard::Gap,
        };
    }
}
