//! One HTTP/1.1 keep-alive connection, driven by hyper: the load generator opens exactly
//! as many of these as a scenario asks for and sends one request at a time on each.

use std::net::SocketAddr;

use anyhow::Context;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Where requests go: an address, a path, and an optional `Authorization` header value.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub addr: SocketAddr,
    pub path: String,
    pub authorization: Option<String>,
}

pub(crate) struct Conn {
    sender: SendRequest<Full<Bytes>>,
    host: String,
    path: String,
    authorization: Option<String>,
}

impl Conn {
    pub(crate) async fn open(
        addr: SocketAddr,
        path: &str,
        authorization: Option<&str>,
    ) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        // The connection's driver; it ends when the sender is dropped or the peer closes.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Self {
            sender,
            host: addr.to_string(),
            path: path.to_owned(),
            authorization: authorization.map(str::to_owned),
        })
    }

    pub(crate) async fn to(endpoint: &Endpoint) -> anyhow::Result<Self> {
        Self::open(
            endpoint.addr,
            &endpoint.path,
            endpoint.authorization.as_deref(),
        )
        .await
    }

    /// POSTs a JSON body; answers the status and the whole response body.
    pub(crate) async fn post(&mut self, body: Bytes) -> anyhow::Result<(StatusCode, Bytes)> {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(&self.path)
            .header(HOST, &self.host)
            .header(CONTENT_TYPE, "application/json")
            .header(
                ACCEPT,
                "application/graphql-response+json, application/json",
            );
        if let Some(authorization) = &self.authorization {
            request = request.header(AUTHORIZATION, authorization);
        }
        self.send(request.body(Full::new(body))?).await
    }

    /// GETs the connection's path.
    pub(crate) async fn get(&mut self) -> anyhow::Result<(StatusCode, Bytes)> {
        let request = Request::builder()
            .method(Method::GET)
            .uri(&self.path)
            .header(HOST, &self.host)
            .body(Full::new(Bytes::new()))?;
        self.send(request).await
    }

    async fn send(&mut self, request: Request<Full<Bytes>>) -> anyhow::Result<(StatusCode, Bytes)> {
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }
}
