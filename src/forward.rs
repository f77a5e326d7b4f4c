//! Forwarding a captured request to the user's own app, unchanged, and recording
//! its reply; the sender then gets the app's reply (or 502/504 when there is none).

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::Request;
use hyper_util::rt::TokioIo;

use crate::record::Forwarded;

/// Most of the app's reply body kept in the record (and relayed to the sender).
pub const MAX_REPLY_BODY: usize = 64 * 1024;

/// Headers that belong to one connection, never forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "proxy-connection",
];

/// Why a request could not be delivered to the app (or the target is not usable).
#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    #[error("{url:?} is not a URL: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("{url:?}: forwarding needs an http://HOST[:PORT][/PATH] URL")]
    NotHttp { url: String },
    #[error("connection refused by {0}")]
    Refused(String),
    #[error("could not connect to {authority}: {source}")]
    Connect {
        authority: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Http(#[from] hyper::Error),
    #[error("could not build the request: {0}")]
    Request(#[from] hyper::http::Error),
}

fn parse_uri(url: &str) -> Result<hyper::Uri, ForwardError> {
    let uri: hyper::Uri =
        url.parse()
            .map_err(|err: hyper::http::uri::InvalidUri| ForwardError::BadUrl {
                url: url.to_owned(),
                reason: err.to_string(),
            })?;
    port(&uri).map_err(|reason| ForwardError::BadUrl {
        url: url.to_owned(),
        reason,
    })?;
    Ok(uri)
}

/// The port of an `http://` URL: the one written, or 80. A written port that is no
/// port (`:80800`) is an error, never silently another port.
pub fn port(uri: &hyper::Uri) -> Result<u16, String> {
    // The port as written: after the host (an IPv6 host is in brackets). The `Uri`'s
    // own `port()` leaves out one that does not fit 16 bits.
    let authority = uri.authority().map_or("", |a| a.as_str());
    let after_host = authority.rsplit(']').next().unwrap_or(authority);
    match after_host.rsplit_once(':') {
        None | Some((_, "")) => Ok(80),
        Some((_, written)) => match written.parse::<u16>() {
            Ok(port) if port > 0 => Ok(port),
            _ => Err(format!("{written} is not a port (1-65535)")),
        },
    }
}

/// The app's reply as the sender gets it.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub forwarded: Forwarded,
    /// What to answer the sender: the app's status, or 502 (no reply) / 504 (timeout).
    pub status: u16,
    pub body: Bytes,
    pub content_type: Option<String>,
    /// The id a hookscope listener journaled the request under (its `X-Hookscope-Id`
    /// reply header), when the target is one.
    pub recorded_as: Option<u64>,
}

/// Where requests go. One rule for forwarding, replay, *Edit and send* and the
/// probe: a URL with a path (`http://127.0.0.1:3000/webhooks/truora`) is the
/// endpoint, used as typed with the request's query appended; a URL without one
/// (`http://127.0.0.1:3000`) gets the request's own path and query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    base: String,
    /// The URL names its endpoint: the request's path is not appended.
    exact: bool,
    pub timeout: Duration,
}

impl Target {
    /// Checks `url` (http only: put a tunnel in front for https).
    pub fn parse(url: &str, timeout: Duration) -> Result<Target, ForwardError> {
        let uri = parse_uri(url)?;
        if uri.scheme_str() != Some("http") || uri.host().is_none() {
            return Err(ForwardError::NotHttp {
                url: url.to_owned(),
            });
        }
        let exact = !matches!(uri.path(), "" | "/") || uri.query().is_some();
        Ok(Target {
            base: if exact {
                url.to_owned()
            } else {
                url.trim_end_matches('/').to_owned()
            },
            exact,
            timeout,
        })
    }

    /// The URL a request for `path` (with its query) goes to.
    pub fn url_for(&self, path: &str) -> String {
        if self.exact {
            return match path.split_once('?') {
                Some((_, query)) if !query.is_empty() => {
                    let joiner = if self.base.contains('?') { '&' } else { '?' };
                    format!("{}{joiner}{query}", self.base)
                }
                _ => self.base.clone(),
            };
        }
        if path.starts_with('/') {
            format!("{}{path}", self.base)
        } else {
            format!("{}/{path}", self.base)
        }
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }
}

/// Headers as text pairs (a record's), for [`deliver`]; names or values that are
/// not valid in HTTP are left out.
pub fn header_map(headers: &[(String, String)]) -> hyper::HeaderMap {
    let mut map = hyper::HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            hyper::header::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            map.append(name, value);
        }
    }
    map
}

/// The headers that go on to the app: all but the hop-by-hop ones, the ones the
/// `Connection` header names (RFC 9110 §7.6.1), `Host` and `Content-Length`
/// (set for the new connection). Values keep their bytes as received.
fn end_to_end(
    headers: &hyper::HeaderMap,
) -> impl Iterator<Item = (&hyper::header::HeaderName, &hyper::header::HeaderValue)> {
    let named: Vec<String> = headers
        .get_all(hyper::header::CONNECTION)
        .iter()
        .flat_map(|value| value.as_bytes().split(|&b| b == b','))
        .map(|token| String::from_utf8_lossy(token).trim().to_ascii_lowercase())
        .filter(|token| !token.is_empty())
        .collect();
    headers.iter().filter(move |(name, _)| {
        let name = name.as_str();
        !(HOP_BY_HOP.contains(&name)
            || name == "host"
            || name == "content-length"
            || named.iter().any(|n| n == name))
    })
}

/// Delivers one request to the target and waits for its reply (within the timeout).
pub async fn deliver(
    target: &Target,
    method: &str,
    path: &str,
    headers: &hyper::HeaderMap,
    body: Bytes,
) -> Outcome {
    let url = target.url_for(path);
    let started = Instant::now();
    let result = tokio::time::timeout(target.timeout, attempt(&url, method, headers, body)).await;
    let elapsed_ms = started.elapsed().as_millis() as u64;
    let failed = |status: u16, error: String| Outcome {
        forwarded: Forwarded {
            url: url.clone(),
            status: None,
            error: Some(error.clone()),
            elapsed_ms,
            body: None,
            content_type: None,
        },
        status,
        body: Bytes::from(format!(
            "{{\"error\":{}}}",
            serde_json::Value::from(format!("forwarding failed: {error}"))
        )),
        content_type: Some("application/json".to_owned()),
        recorded_as: None,
    };
    match result {
        Err(_) => failed(
            504,
            format!("no reply within {} ms", target.timeout.as_millis()),
        ),
        Ok(Err(error)) => failed(502, error.to_string()),
        Ok(Ok((status, content_type, body, recorded_as))) => Outcome {
            recorded_as,
            forwarded: Forwarded {
                url,
                status: Some(status),
                error: None,
                elapsed_ms,
                body: Some(String::from_utf8_lossy(&body).into_owned()),
                content_type: content_type.clone(),
            },
            status,
            body,
            content_type,
        },
    }
}

async fn attempt(
    url: &str,
    method: &str,
    headers: &hyper::HeaderMap,
    body: Bytes,
) -> Result<(u16, Option<String>, Bytes, Option<u64>), ForwardError> {
    let uri = parse_uri(url)?;
    let host = uri.host().unwrap_or("127.0.0.1").to_owned();
    let port = port(&uri).map_err(|reason| ForwardError::BadUrl {
        url: url.to_owned(),
        reason,
    })?;
    let authority = uri
        .authority()
        .map_or_else(|| host.clone(), |a| a.to_string());
    let stream = tokio::net::TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::ConnectionRefused => ForwardError::Refused(authority.clone()),
            _ => ForwardError::Connect {
                authority: authority.clone(),
                source,
            },
        })?;
    let _ = stream.set_nodelay(true);
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let mut request = Request::builder()
        .method(method)
        .uri(uri.path_and_query().map_or("/", |p| p.as_str()))
        .header(hyper::header::HOST, authority.as_str());
    for (name, value) in end_to_end(headers) {
        request = request.header(name, value);
    }
    let request = request.body(Full::new(body))?;
    let response = sender.send_request(request).await?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let recorded_as = response
        .headers()
        .get("x-hookscope-id")
        .and_then(|v| v.to_str().ok()?.parse().ok());
    let body = Limited::new(response.into_body(), MAX_REPLY_BODY)
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_else(|_| Bytes::from_static(b"(reply body larger than 64 KiB, not kept)"));
    Ok((status, content_type, body, recorded_as))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_join_and_only_http_is_accepted() {
        let at = |url: &str, path: &str| {
            Target::parse(url, Duration::from_secs(1))
                .unwrap()
                .url_for(path)
        };
        // A URL with a path is the endpoint; the request's query is appended.
        assert_eq!(
            at("http://127.0.0.1:3000/app/", "/hooks?x=1"),
            "http://127.0.0.1:3000/app/?x=1"
        );
        assert_eq!(
            at("http://127.0.0.1:3000/app?k=v", "/hooks?x=1"),
            "http://127.0.0.1:3000/app?k=v&x=1"
        );
        assert_eq!(at("http://h:1/app", "/hooks"), "http://h:1/app");
        // Without one, the request's path and query; a path without its slash joined by one.
        assert_eq!(at("http://h:1/", "/hooks?x=1"), "http://h:1/hooks?x=1");
        assert_eq!(at("http://h:1", "@evil:80"), "http://h:1/@evil:80");
        assert!(Target::parse("https://example.com", Duration::from_secs(1)).is_err());
        assert!(Target::parse("not a url", Duration::from_secs(1)).is_err());
    }

    #[test]
    fn headers_named_in_connection_stay_behind() {
        let mut headers = header_map(&[
            ("Connection".into(), "keep-alive, X-Secret-Hop".into()),
            ("X-Secret-Hop".into(), "1".into()),
            ("Keep-Alive".into(), "timeout=5".into()),
            ("Host".into(), "example".into()),
            ("X-Kept".into(), "yes".into()),
        ]);
        headers.append(
            "x-latin1",
            hyper::header::HeaderValue::from_bytes(b"caf\xe9").unwrap(),
        );
        let kept: Vec<(String, Vec<u8>)> = end_to_end(&headers)
            .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
            .collect();
        assert_eq!(
            kept,
            vec![
                ("x-kept".to_owned(), b"yes".to_vec()),
                ("x-latin1".to_owned(), b"caf\xe9".to_vec())
            ]
        );
    }
}
