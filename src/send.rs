//! Sending hooks as Truora would: sign claims and POST them with hyper's client.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;

/// Why a delivery failed before any reply.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("bad URL {url:?}: {reason}")]
    Url { url: String, reason: String },
    #[error("could not connect to {addr}: {source}")]
    Connect {
        addr: String,
        source: std::io::Error,
    },
    #[error("no reply within {0:?}")]
    Timeout(Duration),
    #[error("HTTP error: {0}")]
    Http(#[from] hyper::Error),
    #[error("could not start the sender: {0}")]
    Runtime(#[from] std::io::Error),
}

/// What a delivery got back.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub status: u16,
    pub body: Bytes,
    pub elapsed: Duration,
}

/// What one POST carries.
#[derive(Debug, Clone, Default)]
pub struct Outgoing {
    pub content_type: String,
    /// An `Authorization` header, when the token goes there.
    pub authorization: Option<String>,
    /// Other headers, in order (a signature scheme's; a `Content-Type` or
    /// `User-Agent` here replaces hookscope's).
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Outgoing {
    /// A JWT as the body, as Truora sends it.
    pub fn jwt(token: String) -> Outgoing {
        Outgoing {
            content_type: "application/jwt".to_owned(),
            body: Bytes::from(token),
            ..Outgoing::default()
        }
    }

    /// `body` with `headers` (a provider's request).
    pub fn with_headers(body: Vec<u8>, headers: Vec<(String, String)>) -> Outgoing {
        let content_type = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            .map_or_else(|| "application/json".to_owned(), |(_, v)| v.clone());
        Outgoing {
            content_type,
            authorization: None,
            headers: headers
                .into_iter()
                .filter(|(n, _)| !n.eq_ignore_ascii_case("content-type"))
                .collect(),
            body: Bytes::from(body),
        }
    }
}

/// POSTs `body` to an `http://` URL as `application/jwt`, within `timeout`.
pub async fn post(url: &str, body: Bytes, timeout: Duration) -> Result<Delivery, SendError> {
    let outgoing = Outgoing {
        content_type: "application/jwt".to_owned(),
        body,
        ..Outgoing::default()
    };
    request(url, outgoing, timeout).await
}

/// POSTs `outgoing` to an `http://` URL, within `timeout`.
pub async fn request(
    url: &str,
    outgoing: Outgoing,
    timeout: Duration,
) -> Result<Delivery, SendError> {
    let uri: hyper::Uri =
        url.parse()
            .map_err(|err: hyper::http::uri::InvalidUri| SendError::Url {
                url: url.to_owned(),
                reason: err.to_string(),
            })?;
    if uri.scheme_str() != Some("http") {
        return Err(SendError::Url {
            url: url.to_owned(),
            reason: "only http:// URLs are supported (put a tunnel in front for https)".to_owned(),
        });
    }
    let host = uri.host().unwrap_or("127.0.0.1").to_owned();
    let port = crate::forward::port(&uri).map_err(|reason| SendError::Url {
        url: url.to_owned(),
        reason,
    })?;
    let authority = uri.authority().map_or(host.clone(), |a| a.to_string());
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let started = Instant::now();
    let attempt = async {
        let addr = format!("{host}:{port}");
        let stream = tokio::net::TcpStream::connect(&addr)
            .await
            .map_err(|source| SendError::Connect { addr, source })?;
        let _ = stream.set_nodelay(true);
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        let mut request = Request::post(path)
            .header(hyper::header::HOST, authority)
            .header(hyper::header::CONTENT_TYPE, outgoing.content_type.as_str());
        if !outgoing
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("user-agent"))
        {
            request = request.header(
                hyper::header::USER_AGENT,
                concat!("hookscope/", env!("CARGO_PKG_VERSION")),
            );
        }
        if let Some(authorization) = &outgoing.authorization {
            request = request.header(hyper::header::AUTHORIZATION, authorization.as_str());
        }
        for (name, value) in &outgoing.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let request = request
            .body(Full::new(outgoing.body))
            .map_err(|err| SendError::Url {
                url: url.to_owned(),
                reason: err.to_string(),
            })?;
        let response = sender.send_request(request).await?;
        let status = response.status().as_u16();
        // At most what forwarding keeps: an endless reply must not fill the memory.
        let body = match http_body_util::Limited::new(
            response.into_body(),
            crate::forward::MAX_REPLY_BODY,
        )
        .collect()
        .await
        {
            Ok(body) => body.to_bytes(),
            Err(err) => match err.downcast::<hyper::Error>() {
                Ok(err) => return Err(SendError::Http(*err)),
                Err(_) => Bytes::from_static(b"(reply body larger than 64 KiB, not kept)"),
            },
        };
        Ok(Delivery {
            status,
            body,
            elapsed: started.elapsed(),
        })
    };
    tokio::time::timeout(timeout, attempt)
        .await
        .map_err(|_| SendError::Timeout(timeout))?
}

/// [`post`] for callers without a runtime (the GUI's worker threads).
pub fn post_blocking(url: &str, body: Bytes, timeout: Duration) -> Result<Delivery, SendError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(post(url, body, timeout))
}
