//! A `graphql-transport-ws` connection (the `graphql-ws` library's protocol), driven here:
//! async-graphql's machine has no init timeout and no pings, closes a refused init with
//! 1002 and lets a duplicate id replace a running subscription.
//!
//! One task per socket reads the client's messages, writes to the socket and keeps its
//! clocks: the `connection_init` deadline, the pings and the token's expiry. Each operation
//! runs on a task of its own ([`operation`](super::operation)).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::Data;
use async_graphql::parser::types::OperationType;
use axum::extract::ws::{Message, WebSocket};

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value};
use tokio::sync::mpsc;
use tokio::time::{MissedTickBehavior, interval_at, sleep, timeout};
use tokio_stream::StreamMap;
use uuid::Uuid;

use super::callers::Place;
use super::closing::Closing;
use super::messages::{ClientMessage, Operation, ServerMessage};
use super::operation::{self, Queueing, Results, Running, TooSlow};
use super::{expiry, has_expired, init_caller};
use crate::auth::{AuthError, Caller};
use crate::config::WebSocketConfig;
use crate::event_log::Position;
use crate::graphql::{ClientError, RequestContext};
use crate::http::caller_key::CallerKey;
use crate::http::operation_type::selects;
use crate::http::rate_limits::Operations;
use crate::http::{HttpState, Refusal};

/// How long a closing socket waits for the client's close frame before it is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

pub(super) async fn serve(socket: WebSocket, state: HttpState, place: Place, address: IpAddr) {
    let (sink, mut incoming) = socket.split();
    let (too_slow, mut slow) = mpsc::unbounded_channel();
    let config = state.websockets.config.clone();
    let mut connection = Connection {
        state,
        config,
        sink,
        place,
        address,
        session: None,
        operations: HashMap::new(),
        results: StreamMap::new(),
        too_slow,
        awaiting_pong: false,
    };
    match connection.run(&mut incoming, &mut slow).await {
        Ending::Close(closing) => connection.close(closing, incoming).await,
        // Answers a client's close frame (a socket dropped unanswered is an abnormal 1006).
        Ending::Gone => {
            let _ = timeout(CLOSE_GRACE, connection.sink.close()).await;
        }
    }
}

/// Whether reading a frame failed because the message is larger than the server reads.
fn too_big(error: &axum::Error) -> bool {
    let error: &(dyn std::error::Error + 'static) = error;
    std::iter::successors(Some(error), |error| error.source()).any(|error| {
        matches!(
            error.downcast_ref::<tungstenite::Error>(),
            Some(tungstenite::Error::Capacity(_))
        )
    })
}

/// Why a connection ends.
enum Ending {
    /// The server closes it, saying why.
    Close(Closing),
    /// The client left, or the socket failed.
    Gone,
}

impl From<Closing> for Ending {
    fn from(closing: Closing) -> Self {
        Self::Close(closing)
    }
}

struct Connection {
    state: HttpState,
    config: WebSocketConfig,
    sink: SplitSink<WebSocket, Message>,
    place: Place,
    /// The client's address, whose budgets an anonymous caller's operations draw on.
    address: IpAddr,
    /// Set once `connection_init` is acknowledged.
    session: Option<Session>,
    operations: HashMap<String, Running>,
    results: StreamMap<String, Results>,
    too_slow: TooSlow,
    awaiting_pong: bool,
}

/// An acknowledged connection: what its operations run with, and when its token expires.
struct Session {
    caller: Caller,
    data: Arc<Data>,
    expires_at: Option<i64>,
}

impl Connection {
    async fn run(
        &mut self,
        incoming: &mut SplitStream<WebSocket>,
        slow: &mut mpsc::UnboundedReceiver<String>,
    ) -> Ending {
        let init_deadline = sleep(*self.config.init_timeout);
        tokio::pin!(init_deadline);
        let interval = *self.config.ping_interval;
        let mut pings = interval_at(tokio::time::Instant::now() + interval, interval);
        pings.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            let acknowledged = self.session.is_some();
            let expires_at = self.session.as_ref().and_then(|session| session.expires_at);
            let step = tokio::select! {
                frame = incoming.next() => match frame {
                    Some(Ok(Message::Text(text))) => self.receive(text.as_str().as_bytes()).await,
                    Some(Ok(Message::Binary(bytes))) => self.receive(&bytes).await,
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => Ok(()),
                    Some(Err(error)) if too_big(&error) => {
                        Err(Closing::too_big(self.state.max_body_bytes).into())
                    }
                    Some(Ok(Message::Close(_)) | Err(_)) | None => Err(Ending::Gone),
                },
                () = &mut init_deadline, if !acknowledged => Err(Closing::init_timeout().into()),
                _ = pings.tick(), if acknowledged => self.ping().await,
                () = expiry(expires_at), if expires_at.is_some() => self.check_token(),
                Some((id, next)) = self.results.next(), if !self.results.is_empty() => {
                    self.forward(id, next).await
                }
                Some(id) = slow.recv() => Err(self.too_slow(&id).into()),
                () = self.state.draining.started() => Err(Closing::going_away().into()),
            };
            if let Err(ending) = step {
                return ending;
            }
        }
    }

    async fn receive(&mut self, frame: &[u8]) -> Result<(), Ending> {
        match ClientMessage::read(frame)? {
            ClientMessage::ConnectionInit { payload } => self.init(payload.as_ref()).await,
            ClientMessage::Ping { payload } => {
                let pong = ServerMessage::Pong {
                    payload: payload.as_ref(),
                };
                self.send(pong.frame()).await
            }
            ClientMessage::Pong { .. } => {
                self.awaiting_pong = false;
                Ok(())
            }
            ClientMessage::Subscribe { id, payload } => self.subscribe(id, payload).await,
            ClientMessage::Complete { id } => {
                self.operations.remove(&id);
                self.results.remove(&id);
                Ok(())
            }
        }
    }

    /// Acknowledges a first `connection_init` whose token (if any) is good and whose caller
    /// may open one more socket.
    async fn init(&mut self, payload: Option<&Map<String, Value>>) -> Result<(), Ending> {
        if self.session.is_some() {
            return Err(Closing::second_init().into());
        }
        let caller = init_caller(&self.state.keys, payload)
            .map_err(|error| Closing::refused(&ClientError::from(&error)))?;
        if let Some(sub) = caller.sub()
            && !self.place.move_to(CallerKey::Subject(sub.to_owned()))
        {
            return Err(
                Closing::too_many_connections(self.config.max_connections_per_caller).into(),
            );
        }
        let expires_at = match &caller {
            Caller::Authenticated { expires_at, .. } => Some(*expires_at),
            Caller::Anonymous => None,
        };
        let mut data = Data::default();
        data.insert(RequestContext {
            caller: caller.clone(),
            request_id: Uuid::now_v7().to_string(),
            read_at_least: Position::ORIGIN,
            idempotency_key: None,
        });
        self.session = Some(Session {
            caller,
            data: Arc::new(data),
            expires_at,
        });
        self.send(ServerMessage::ConnectionAck.frame()).await
    }

    async fn subscribe(&mut self, id: String, operation: Operation) -> Result<(), Ending> {
        let Some(session) = &self.session else {
            return Err(Closing::unacknowledged().into());
        };
        if self.operations.contains_key(&id) {
            return Err(Closing::duplicate_id(&id).into());
        }
        let most = self.config.max_subscriptions;
        if self.operations.len() >= most {
            let refusal = ClientError::too_many_subscriptions(most);
            return self.refuse(&id, refusal).await;
        }
        let mut request = operation.into_request();
        let operations = Operations::of(std::iter::once(&mut request));
        let deadline = (!selects(&mut request, OperationType::Subscription))
            .then_some(self.state.execution_timeout);
        let budgets = &self.state.rate_limits;
        if let Err(limited) = budgets.take(&session.caller, self.address, operations) {
            let refusal = ClientError::from(&Refusal::RateLimited(limited));
            return self.refuse(&id, refusal).await;
        }
        let queueing = Queueing {
            capacity: self.config.send_queue,
            timeout: *self.config.send_timeout,
        };
        let (running, results) = operation::start(
            &self.state.schema,
            id.clone(),
            request,
            session.data.clone(),
            deadline,
            queueing,
            self.too_slow.clone(),
        );
        self.operations.insert(id.clone(), running);
        self.results.insert(id, results);
        Ok(())
    }

    /// Answers operation `id` with `refusal` instead of running it.
    async fn refuse(&mut self, id: &str, refusal: ClientError) -> Result<(), Ending> {
        let payload = [refusal.into_server_error()];
        self.send(
            ServerMessage::Error {
                id,
                payload: &payload,
            }
            .frame(),
        )
        .await
    }

    /// Sends operation `id`'s next result, or its `complete` once it has ended.
    async fn forward(&mut self, id: String, next: Option<String>) -> Result<(), Ending> {
        match next {
            Some(next) => self.send(Message::Text(next.into())).await,
            None => {
                self.operations.remove(&id);
                self.send(ServerMessage::Complete { id: &id }.frame()).await
            }
        }
    }

    /// Pings the client, unless it has not answered the last ping: then it is gone.
    async fn ping(&mut self) -> Result<(), Ending> {
        if self.awaiting_pong {
            return Err(Closing::no_pong(*self.config.ping_interval).into());
        }
        self.awaiting_pong = true;
        self.send(ServerMessage::Ping.frame()).await
    }

    /// Closes the socket once its token has expired: it keeps no rights beyond the token's.
    fn check_token(&self) -> Result<(), Ending> {
        let expires_at = self.session.as_ref().and_then(|session| session.expires_at);
        if expires_at.is_some_and(has_expired) {
            let error = ClientError::from(&AuthError::InvalidToken);
            return Err(Closing::refused(&error).into());
        }
        Ok(())
    }

    fn too_slow(&self, id: &str) -> Closing {
        Closing::too_slow(id, self.config.send_queue, *self.config.send_timeout)
    }

    /// Sends `message`, which the socket must take within the send timeout: a client that
    /// does not read is too slow.
    async fn send(&mut self, message: Message) -> Result<(), Ending> {
        let waited = *self.config.send_timeout;
        match timeout(waited, self.sink.send(message)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Ending::Gone),
            Err(_) => Err(Closing::socket_too_slow(waited).into()),
        }
    }

    /// Sends `closing`'s close frame (the socket gets the send timeout to take it, behind
    /// whatever it still holds), and gives the client a moment to answer it before the
    /// connection is dropped (dropping it with unread input would reset it, and the client
    /// could lose the frame).
    async fn close(mut self, closing: Closing, mut incoming: SplitStream<WebSocket>) {
        let code = closing.code();
        tracing::debug!(code, "closing a WebSocket");
        metrics::counter!("rosterql_websocket_closes_total", "code" => code.to_string())
            .increment(1);
        drop(std::mem::take(&mut self.operations));
        if self.send(closing.frame()).await.is_err() {
            return;
        }
        let _ = timeout(CLOSE_GRACE, async {
            while let Some(Ok(_)) = incoming.next().await {}
        })
        .await;
    }
}
