//! `graphql-transport-ws` messages: what a client may send, read strictly (anything else
//! closes the socket with 4400), and what the server sends.

use async_graphql::{Request, Response, ServerError, Variables};
use axum::extract::ws::Message;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::closing::Closing;

/// A message from the client.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum ClientMessage {
    ConnectionInit {
        payload: Option<Map<String, Value>>,
    },
    Ping {
        payload: Option<Map<String, Value>>,
    },
    /// Its payload is read only to hold it to the protocol's shape (an object, if any).
    Pong {
        #[serde(rename = "payload")]
        _payload: Option<Map<String, Value>>,
    },
    Subscribe {
        id: String,
        payload: Operation,
    },
    Complete {
        id: String,
    },
}

/// A `subscribe` message's operation.
#[derive(Debug, Deserialize)]
pub(super) struct Operation {
    query: String,
    variables: Option<Map<String, Value>>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    /// Read only to hold it to the protocol's shape: no extension is served.
    #[serde(rename = "extensions")]
    _extensions: Option<Map<String, Value>>,
}

impl Operation {
    pub(super) fn into_request(self) -> Request {
        let mut request = Request::new(self.query).variables(Variables::from_json(Value::Object(
            self.variables.unwrap_or_default(),
        )));
        if let Some(name) = self.operation_name {
            request = request.operation_name(name);
        }
        request
    }
}

impl ClientMessage {
    /// Reads a text (or binary) frame; anything that is not one of the client's messages,
    /// in its shape, is the protocol's 4400.
    pub(super) fn read(frame: &[u8]) -> Result<Self, Closing> {
        let message: Self = serde_json::from_slice(frame).map_err(Closing::bad_message)?;
        match &message {
            Self::Subscribe { id, .. } | Self::Complete { id } if id.is_empty() => {
                Err(Closing::bad_message("an empty id"))
            }
            _ => Ok(message),
        }
    }
}

/// A message to the client.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum ServerMessage<'a> {
    ConnectionAck,
    Ping,
    Pong {
        #[serde(skip_serializing_if = "Option::is_none")]
        payload: Option<&'a Map<String, Value>>,
    },
    Next {
        id: &'a str,
        payload: &'a Response,
    },
    Error {
        id: &'a str,
        payload: &'a [ServerError],
    },
    Complete {
        id: &'a str,
    },
}

impl ServerMessage<'_> {
    pub(super) fn text(&self) -> String {
        // Serialising these types cannot fail: every key is a string.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub(super) fn frame(&self) -> Message {
        Message::Text(self.text().into())
    }
}
