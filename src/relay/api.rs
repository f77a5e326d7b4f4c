//! The relay's read API (`listen --api ADDR`), on an address of its own, never the
//! capture address: `/v1/records` (the journal's records after an id, NDJSON),
//! `/v1/stream` (server-sent events: those after an id from the journal, then each
//! new one as it is journaled; `Last-Event-ID` resumes) and `/v1/health`. Every
//! call needs `Authorization: Bearer TOKEN`, compared in constant time; without it
//! the answer is `401` and not a byte of data. Repeated failures from one address
//! are slowed, then answered `429`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::server::conn::http1;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::sync::{broadcast, mpsc};
use zeroize::Zeroizing;

use super::backlog::read_after;

/// The shortest token the API takes: 32 bytes.
pub const MIN_TOKEN: usize = 32;

/// `/v1/records`: records per answer unless `limit` says, and at most.
const DEFAULT_LIMIT: usize = 1_000;
const MAX_LIMIT: usize = 10_000;

/// A comment this often keeps proxies from closing a quiet stream.
const KEEPALIVE: Duration = Duration::from_secs(15);

/// Failed calls from one address within [`WINDOW`]: past the first number each is
/// answered a second late, past the second with `429` until the window passes.
const SLOW_AFTER: u32 = 5;
const REFUSE_AFTER: u32 = 10;
const WINDOW: Duration = Duration::from_secs(60);

/// A record as the live streams send it: its id and its server-sent event, made
/// once for every follower.
#[derive(Clone)]
struct Live {
    id: u64,
    event: Bytes,
}

/// Each record as it is journaled, to the streams following live.
#[derive(Clone)]
pub struct Feed {
    sender: broadcast::Sender<Live>,
    last_id: Arc<AtomicU64>,
    records: Arc<AtomicU64>,
}

impl Default for Feed {
    fn default() -> Self {
        Feed {
            sender: broadcast::channel(4096).0,
            last_id: Arc::new(AtomicU64::new(0)),
            records: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl Feed {
    /// Hands on a journaled record (the journal's subscriber calls it).
    pub fn publish(&self, record: &crate::record::Record) {
        let mut line = Vec::with_capacity(1024);
        if crate::record::append_json(&mut line, record).is_err() {
            return;
        }
        self.last_id.fetch_max(record.id, Ordering::Relaxed);
        self.records.fetch_add(1, Ordering::Relaxed);
        let _ = self.sender.send(Live {
            id: record.id,
            event: event(record.id, &line),
        });
    }

    /// A subscriber for [`crate::capture::Journal::open`] that publishes here.
    pub fn subscriber(&self) -> crate::capture::journal::Subscriber {
        let feed = self.clone();
        Box::new(move |records| {
            for (record, _) in &records {
                feed.publish(record);
            }
        })
    }
}

/// What the API serves and how it is reached.
pub struct ApiConfig {
    pub bind: SocketAddr,
    pub token: Zeroizing<String>,
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// The journal the records are read from.
    pub journal: PathBuf,
}

/// Reads the API token from `file` (else `HOOKSCOPE_API_TOKEN`): refused when it
/// is shorter than [`MIN_TOKEN`] bytes, or when the file can be read by others.
pub fn read_token(file: Option<&std::path::Path>) -> anyhow::Result<Zeroizing<String>> {
    let token = match file {
        Some(path) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                let mode = std::fs::metadata(path)
                    .map_err(|err| {
                        anyhow::anyhow!("could not read the API token file {}: {err}", path.display())
                    })?
                    .permissions()
                    .mode();
                if mode & 0o077 != 0 {
                    anyhow::bail!(
                        "the API token file {} can be read by others (mode {:o}): chmod 600 it",
                        path.display(),
                        mode & 0o777
                    );
                }
            }
            let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|err| {
                anyhow::anyhow!("could not read the API token file {}: {err}", path.display())
            })?);
            Zeroizing::new(text.trim().to_owned())
        }
        None => Zeroizing::new(
            std::env::var("HOOKSCOPE_API_TOKEN")
                .map_err(|_| {
                    anyhow::anyhow!(
                        "--api needs a token: give --api-token-file FILE (mode 600) or set HOOKSCOPE_API_TOKEN"
                    )
                })?
                .trim()
                .to_owned(),
        ),
    };
    if token.len() < MIN_TOKEN {
        anyhow::bail!(
            "the API token has {} bytes: use at least {MIN_TOKEN} (e.g. openssl rand -hex 32)",
            token.len()
        );
    }
    Ok(token)
}

/// The running API; stopping it (or dropping it) closes its port and joins its thread.
pub struct Api {
    local_addr: SocketAddr,
    tls: bool,
    service: crate::service::Service,
}

struct Shared {
    token: Zeroizing<String>,
    journal: PathBuf,
    feed: Feed,
    since: String,
    failures: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl Api {
    /// Binds `config.bind` and serves the journal's records and `feed` on a thread
    /// of its own.
    pub fn start(config: ApiConfig, feed: Feed) -> std::io::Result<Api> {
        let listener = std::net::TcpListener::bind(config.bind)?;
        let local_addr = listener.local_addr()?;
        // What the journal holds already: the health's count and last id, read a
        // line at a time.
        let (mut held, mut last) = (0u64, 0u64);
        let _ = super::backlog::each_after(&config.journal, 0, |id, _| {
            held += 1;
            last = id;
            true
        });
        feed.records.fetch_add(held, Ordering::Relaxed);
        feed.last_id.fetch_max(last, Ordering::Relaxed);
        let tls = config.tls.clone();
        let shared = Arc::new(Shared {
            token: config.token,
            journal: config.journal,
            feed,
            since: crate::record::now(),
            failures: Mutex::new(HashMap::new()),
        });
        let service = crate::service::Service::spawn("hookscope-api", listener, move |listener| {
            accept(listener, shared, tls)
        })?;
        Ok(Api {
            local_addr,
            tls: config.tls.is_some(),
            service,
        })
    }

    /// The address bound (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The API's base URL.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}/", self.local_addr)
    }

    /// The one "api on" line, on stderr, and a warning before it when the address
    /// is not loopback and there is no TLS.
    pub fn announce(&self) {
        if !self.local_addr.ip().is_loopback() && !self.tls {
            eprintln!(
                "warning: the API listens on {} without TLS: its token and the records cross the network in clear (give --tls-cert, or put a proxy with TLS in front)",
                self.local_addr
            );
        }
        eprintln!("api on {}", self.url());
    }

    /// Stops serving.
    pub fn stop(mut self) {
        self.service.stop();
    }
}

async fn accept(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    tls: Option<Arc<rustls::ServerConfig>>,
) {
    loop {
        let Ok((stream, remote)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let shared = shared.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => serve(stream, remote, shared).await,
                Some(tls) => {
                    let accept = tokio_rustls::TlsAcceptor::from(tls).accept(stream);
                    if let Ok(Ok(stream)) =
                        tokio::time::timeout(Duration::from_secs(10), accept).await
                    {
                        serve(stream, remote, shared).await;
                    }
                }
            }
        });
    }
}

async fn serve<S>(stream: S, remote: SocketAddr, shared: Arc<Shared>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |request| {
        let shared = shared.clone();
        async move { Ok::<_, Infallible>(handle(request, remote.ip(), &shared).await) }
    });
    let _ = http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(Duration::from_secs(10))
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

type Body = BoxBody<Bytes, Infallible>;

fn empty(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::new()).boxed());
    *response.status_mut() = status;
    response
}

/// One call: the token first, then what it asks for.
async fn handle(
    request: Request<hyper::body::Incoming>,
    ip: IpAddr,
    shared: &Shared,
) -> Response<Body> {
    match shared.failures_of(ip) {
        failures if failures >= REFUSE_AFTER => {
            let mut response = empty(StatusCode::TOO_MANY_REQUESTS);
            response
                .headers_mut()
                .insert("retry-after", hyper::header::HeaderValue::from_static("60"));
            return response;
        }
        _ => {}
    }
    let given = request
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
        .unwrap_or_default();
    if !same(given, shared.token.as_bytes()) {
        if shared.fail(ip) > SLOW_AFTER {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let mut response = empty(StatusCode::UNAUTHORIZED);
        response.headers_mut().insert(
            hyper::header::WWW_AUTHENTICATE,
            hyper::header::HeaderValue::from_static("Bearer"),
        );
        return response;
    }
    if request.method() != hyper::Method::GET {
        return empty(StatusCode::METHOD_NOT_ALLOWED);
    }
    let query = query(request.uri().query());
    let after = request
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .or_else(|| query.get("after").and_then(|v| v.parse().ok()))
        .unwrap_or(0);
    match request.uri().path() {
        "/v1/health" => health(shared),
        "/v1/records" => {
            let limit = query
                .get("limit")
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(DEFAULT_LIMIT)
                .clamp(1, MAX_LIMIT);
            records(shared, after, limit).await
        }
        "/v1/stream" => stream(shared, after),
        _ => empty(StatusCode::NOT_FOUND),
    }
}

impl Shared {
    /// The failures counted for `ip` in the current window.
    fn failures_of(&self, ip: IpAddr) -> u32 {
        let failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        failures
            .get(&ip)
            .filter(|(since, _)| since.elapsed() < WINDOW)
            .map_or(0, |(_, n)| *n)
    }

    /// Counts a failure of `ip`; the count in the window.
    fn fail(&self, ip: IpAddr) -> u32 {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        // Old windows go, so the table stays as small as the attack is recent.
        failures.retain(|_, (since, _)| since.elapsed() < WINDOW);
        let entry = failures.entry(ip).or_insert((Instant::now(), 0));
        entry.1 += 1;
        entry.1
    }
}

/// Compares the token in constant time (its length is not secret: 32 bytes or more).
fn same(given: &[u8], token: &[u8]) -> bool {
    given.len() == token.len()
        && given
            .iter()
            .zip(token)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

fn query(text: Option<&str>) -> HashMap<String, String> {
    form_urlencoded::parse(text.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

fn json(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(value.to_string())).boxed());
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

fn health(shared: &Shared) -> Response<Body> {
    json(
        StatusCode::OK,
        &serde_json::json!({
            "status": "ok",
            "last_id": shared.feed.last_id.load(Ordering::Relaxed),
            "records": shared.feed.records.load(Ordering::Relaxed),
            "since": shared.since,
        }),
    )
}

async fn records(shared: &Shared, after: u64, limit: usize) -> Response<Body> {
    let path = shared.journal.clone();
    let read = tokio::task::spawn_blocking(move || read_after(&path, after, limit)).await;
    let Ok(Ok(entries)) = read else {
        return empty(StatusCode::SERVICE_UNAVAILABLE);
    };
    let mut body = Vec::with_capacity(entries.iter().map(|e| e.line.len() + 1).sum());
    for entry in entries {
        body.extend_from_slice(&entry.line);
        body.push(b'\n');
    }
    let mut response = Response::new(Full::new(Bytes::from(body)).boxed());
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/x-ndjson"),
    );
    response
}

/// One record as a server-sent event.
fn event(id: u64, line: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(line.len() + 40);
    out.extend_from_slice(format!("id: {id}\nevent: record\ndata: ").as_bytes());
    out.extend_from_slice(line);
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

/// The most a stream gathers into one write when records come faster than it sends.
const GATHER: usize = 256 * 1024;

/// `/v1/stream`: the records after `after` from the journal, then each new one;
/// a reader too slow for the live feed is caught up from the journal again.
fn stream(shared: &Shared, after: u64) -> Response<Body> {
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let mut live = shared.feed.sender.subscribe();
    let path = shared.journal.clone();
    tokio::spawn(async move {
        let mut last;
        // A follower too slow for the live feed: what it missed, from the journal.
        let catch_up = |last: u64| {
            let path = path.clone();
            async move {
                tokio::task::spawn_blocking(move || read_after(&path, last, DEFAULT_LIMIT))
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .unwrap_or_default()
            }
        };
        // Catching up: the journal read once, from `after` on, a line at a time.
        last = {
            let (path, tx) = (path.clone(), tx.clone());
            tokio::task::spawn_blocking(move || {
                let mut last = after;
                let _ = super::backlog::each_after(&path, after, |id, line| {
                    last = id;
                    tx.blocking_send(event(id, line)).is_ok()
                });
                last
            })
            .await
            .unwrap_or(after)
        };
        if tx.is_closed() {
            return;
        }
        loop {
            tokio::select! {
                received = live.recv() => match received {
                    Ok(first) => {
                        // Whatever else is waiting goes in the same write.
                        let mut out = bytes::BytesMut::new();
                        let mut next = Some(first);
                        let mut lagged = false;
                        while let Some(entry) = next.take() {
                            if entry.id > last {
                                last = entry.id;
                                out.extend_from_slice(&entry.event);
                            }
                            if out.len() < GATHER {
                                next = match live.try_recv() {
                                    Ok(entry) => Some(entry),
                                    Err(broadcast::error::TryRecvError::Lagged(_)) => {
                                        lagged = true;
                                        None
                                    }
                                    Err(_) => None,
                                };
                            }
                        }
                        // Too slow for the live feed: the rest from the journal.
                        if lagged {
                            for entry in catch_up(last).await {
                                last = entry.id;
                                out.extend_from_slice(&event(entry.id, &entry.line));
                            }
                        }
                        if !out.is_empty() && tx.send(out.freeze()).await.is_err() {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let mut out = Vec::new();
                        for entry in catch_up(last).await {
                            last = entry.id;
                            out.extend_from_slice(&event(entry.id, &entry.line));
                        }
                        if !out.is_empty() && tx.send(Bytes::from(out)).await.is_err() {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                () = tokio::time::sleep(KEEPALIVE) => {
                    if tx.send(Bytes::from_static(b": keep-alive\n\n")).await.is_err() {
                        return;
                    }
                }
            }
        }
    });
    let frames = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|bytes| (Ok::<_, Infallible>(Frame::data(bytes)), rx))
    });
    let mut response = Response::new(BodyExt::boxed(StreamBody::new(frames)));
    let headers = response.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(
        hyper::header::CACHE_CONTROL,
        hyper::header::HeaderValue::from_static("no-store"),
    );
    response
}
