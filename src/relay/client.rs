//! The relay's HTTP(S) client side: a GET with the bearer token, over rustls when
//! the URL says `https`, and the server-sent events of a stream read as they come.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;

/// How long a connection (and its TLS handshake) may take.
const CONNECT: Duration = Duration::from_secs(10);

/// A stream that says nothing this long (the relay sends a comment every 15 s)
/// is taken as lost.
const QUIET: Duration = Duration::from_secs(45);

/// GETs `url` with `Authorization: Bearer token`: the status and the body, still
/// to be read.
pub async fn get(
    url: &str,
    token: &str,
    tls: &Arc<rustls::ClientConfig>,
) -> Result<(u16, Incoming), String> {
    let uri: hyper::Uri = url
        .parse()
        .map_err(|err| format!("{url:?} is no URL: {err}"))?;
    let secure = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => return Err(format!("{url:?}: give an http:// or https:// URL")),
    };
    let host = uri.host().ok_or_else(|| format!("{url:?} names no host"))?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
    let authority = uri
        .authority()
        .map_or_else(|| host.clone(), |a| a.to_string());
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let connect = async {
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|err| format!("could not reach {host}:{port}: {err}"))?;
        let _ = tcp.set_nodelay(true);
        let request = hyper::Request::get(path)
            .header(hyper::header::HOST, authority)
            .header(hyper::header::AUTHORIZATION, format!("Bearer {token}"))
            .header(
                hyper::header::ACCEPT,
                "text/event-stream, application/x-ndjson, application/json",
            )
            .header(
                hyper::header::USER_AGENT,
                concat!("hookscope/", env!("CARGO_PKG_VERSION")),
            )
            .body(Empty::<Bytes>::new())
            .map_err(|err| err.to_string())?;
        if secure {
            let name = rustls::pki_types::ServerName::try_from(host.clone())
                .map_err(|_| format!("{host:?} is no host name"))?;
            let stream = tokio_rustls::TlsConnector::from(tls.clone())
                .connect(name, tcp)
                .await
                .map_err(|err| format!("TLS with {host}: {err}"))?;
            send(stream, request).await
        } else {
            send(tcp, request).await
        }
    };
    tokio::time::timeout(CONNECT, connect).await.map_err(|_| {
        format!(
            "no answer from {host}:{port} within {} s",
            CONNECT.as_secs()
        )
    })?
}

async fn send<S>(
    stream: S,
    request: hyper::Request<Empty<Bytes>>,
) -> Result<(u16, Incoming), String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|err| err.to_string())?;
    tokio::spawn(connection);
    let response = sender
        .send_request(request)
        .await
        .map_err(|err| err.to_string())?;
    Ok((response.status().as_u16(), response.into_body()))
}

/// A whole (small) body.
pub async fn collect(body: Incoming) -> Result<Bytes, String> {
    http_body_util::Limited::new(body, 1 << 20)
        .collect()
        .await
        .map(|b| b.to_bytes())
        .map_err(|err| err.to_string())
}

/// One server-sent event.
#[derive(Debug, Clone, Default)]
pub struct Event {
    pub id: Option<u64>,
    pub event: Option<String>,
    pub data: String,
}

/// The events of a `text/event-stream` body, as they come.
pub struct Events {
    body: Incoming,
    buffer: Vec<u8>,
    ready: VecDeque<Event>,
}

impl Events {
    pub fn new(body: Incoming) -> Events {
        Events {
            body,
            buffer: Vec::new(),
            ready: VecDeque::new(),
        }
    }

    /// The next event (`None`: the stream ended).
    pub async fn next(&mut self) -> Result<Option<Event>, String> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Ok(Some(event));
            }
            let frame = tokio::time::timeout(QUIET, self.body.frame())
                .await
                .map_err(|_| format!("the relay said nothing for {} s", QUIET.as_secs()))?;
            let Some(frame) = frame else {
                return Ok(None);
            };
            let frame = frame.map_err(|err| err.to_string())?;
            if let Ok(data) = frame.into_data() {
                self.buffer.extend_from_slice(&data);
                self.split();
            }
        }
    }

    /// Moves every whole event (ended by a blank line) from the buffer to `ready`.
    fn split(&mut self) {
        while let Some(end) = self.buffer.windows(2).position(|w| w == b"\n\n") {
            let block: Vec<u8> = self.buffer.drain(..end + 2).collect();
            let text = String::from_utf8_lossy(&block);
            let mut event = Event::default();
            let mut data = Vec::new();
            for line in text.lines() {
                // Comments (keep-alives) start with a colon.
                if line.starts_with(':') {
                    continue;
                }
                let (field, value) = line.split_once(':').unwrap_or((line, ""));
                let value = value.strip_prefix(' ').unwrap_or(value);
                match field {
                    "id" => event.id = value.parse().ok(),
                    "event" => event.event = Some(value.to_owned()),
                    "data" => data.push(value),
                    _ => {}
                }
            }
            if !data.is_empty() {
                event.data = data.join("\n");
                self.ready.push_back(event);
            }
        }
    }
}
