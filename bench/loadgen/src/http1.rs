//! One keep-alive HTTP/1.1 connection, straight on hyper: a burst's REST submits cost the
//! load generator less CPU than through a full client (pool, redirects, URL parsing per
//! request), and that CPU is taken from the platform it measures on the same cores.

use anyhow::{Context as _, ensure};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;

pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
    authority: String,
}

impl Connection {
    /// Connects to the host:port of `base` (`http://127.0.0.1:8080`).
    pub async fn open(base: &str) -> anyhow::Result<Self> {
        let authority =
            base.strip_prefix("http://").context("--base must be http://host:port")?.trim_end_matches('/').to_owned();
        let stream = tokio::net::TcpStream::connect(&authority).await.with_context(|| format!("connecting {base}"))?;
        stream.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(Self { sender, authority })
    }

    /// POSTs a JSON `body` to `path`; the response body if the status is `expected`.
    pub async fn post_json(&mut self, path: &str, body: Bytes, expected: u16) -> anyhow::Result<Bytes> {
        let request = hyper::Request::post(path)
            .header(hyper::header::HOST, &self.authority)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .body(Full::new(body))?;
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        ensure!(status.as_u16() == expected, "{path} answered {status}: {}", String::from_utf8_lossy(&body));
        Ok(body)
    }
}
