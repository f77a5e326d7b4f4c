//! The HTTP listener: hyper's HTTP/1 server on a tokio runtime this module owns,
//! turning every request into a verified, journaled [`Record`](crate::record::Record)
//! before it is answered.

mod handler;
pub mod journal;
mod path_watch;
mod sink;
pub mod tap;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::{Semaphore, watch};

pub use journal::Journal;

use crate::token::Verifier;

/// Default listen address: loopback only.
pub const DEFAULT_BIND: &str = "127.0.0.1:8787";
/// Default `--max-body`: 1 MiB.
pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;
/// Most connections served at once; more wait in the accept queue.
const MAX_CONNECTIONS: usize = 2048;

/// The reply every captured request gets (`--respond-*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyPolicy {
    pub status: u16,
    pub delay: Duration,
    /// `None`: a small JSON acknowledgement naming the record id.
    pub body: Option<String>,
    pub content_type: String,
}

impl Default for ReplyPolicy {
    fn default() -> Self {
        ReplyPolicy {
            status: 200,
            delay: Duration::ZERO,
            body: None,
            content_type: "application/json".to_owned(),
        }
    }
}

/// How the listener behaves.
#[derive(Debug, Clone)]
pub struct ListenerConfig {
    pub bind: SocketAddr,
    pub max_body: usize,
    pub reply: ReplyPolicy,
    /// Deliver every request to the user's app too; its reply goes to the sender.
    pub forward: Option<crate::forward::Target>,
    /// How long a client may take to send a request head.
    pub header_timeout: Duration,
    /// How long a client may take to send a body.
    pub body_timeout: Duration,
    /// How long a reply may wait for the client to read it before the connection
    /// is closed.
    pub write_timeout: Duration,
    /// Worker threads of the runtime.
    pub workers: usize,
    /// Most body bytes held in memory by all requests in flight together;
    /// a request that would pass it is answered 503 (and recorded).
    pub body_budget: usize,
    /// Forward requests a browser made (`Origin`, `Sec-Fetch-Site`) too.
    pub allow_browser: bool,
    /// Speak TLS (HTTPS) with this certificate (`--tls-cert`, `--tls-key`).
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

/// Default body budget: 256 MiB of bodies in flight, whatever the number of senders.
pub const DEFAULT_BODY_BUDGET: usize = 256 * 1024 * 1024;

/// Every core the process may use (`--workers` changes it).
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

impl Default for ListenerConfig {
    fn default() -> Self {
        ListenerConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 8787)),
            max_body: DEFAULT_MAX_BODY,
            reply: ReplyPolicy::default(),
            forward: None,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
            workers: default_workers(),
            body_budget: DEFAULT_BODY_BUDGET,
            allow_browser: false,
            tls: None,
        }
    }
}

/// The verifier in use. Whoever made the slot (the GUI) swaps its content when the
/// secrets change; the listener reads it for every request.
pub type SharedVerifier = Arc<RwLock<Arc<Verifier>>>;

/// Why the listener could not start.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error(
        "{addr} is already in use: stop what is listening there, or pick another address (e.g. --bind 127.0.0.1:0 for a free port)"
    )]
    AddrInUse { addr: SocketAddr },
    #[error(
        "no permission to listen on {addr}: ports below 1024 need privileges, pick a port above 1024"
    )]
    PermissionDenied { addr: SocketAddr },
    #[error("{addr} is not an address of this machine: use 127.0.0.1 or one of its interfaces")]
    AddrNotAvailable { addr: SocketAddr },
    #[error("could not listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("could not start the listener: {0}")]
    Runtime(#[from] std::io::Error),
}

/// A running listener. Dropping it (or [`Capture::stop`]) stops accepting, lets
/// accepted requests finish, and joins its threads.
pub struct Capture {
    local_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
    shared: Arc<Shared>,
}

/// Everything a request handler needs, shared by all connections.
struct Shared {
    config: ListenerConfig,
    /// The reply policy and forward target, changeable while running (the GUI).
    live: RwLock<Arc<Live>>,
    verifier: SharedVerifier,
    journal: Journal,
    health: Mutex<HealthWatch>,
    budget: Arc<BodyBudget>,
    /// This listener's mark on what it forwards (see `handler::LOOP_HEADER`).
    instance: hyper::header::HeaderValue,
}

/// The bytes of request bodies held in memory by every request in flight.
struct BodyBudget {
    limit: usize,
    used: std::sync::atomic::AtomicUsize,
}

impl BodyBudget {
    /// A share of the budget for one request, growing as its body arrives.
    fn hold(self: &Arc<Self>) -> Held {
        Held {
            budget: self.clone(),
            bytes: 0,
        }
    }
}

/// One request's share of the [`BodyBudget`], given back on drop.
pub(crate) struct Held {
    budget: Arc<BodyBudget>,
    bytes: usize,
}

impl Held {
    /// Takes `more` bytes from the budget; false (taking nothing) when it would pass the limit.
    fn grow(&mut self, more: usize) -> bool {
        use std::sync::atomic::Ordering;
        let taken = self
            .budget
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(more)
                    .filter(|&sum| sum <= self.budget.limit)
            });
        if taken.is_ok() {
            self.bytes += more;
        }
        taken.is_ok()
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.budget
            .used
            .fetch_sub(self.bytes, std::sync::atomic::Ordering::AcqRel);
    }
}

/// What each request's reply follows; swapped whole by [`Capture::set_live`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Live {
    pub reply: ReplyPolicy,
    pub forward: Option<crate::forward::Target>,
}

/// The delivery-health window of what senders got, and whether the 80% warning is out.
struct HealthWatch {
    started: std::time::Instant,
    health: crate::health::Health,
    warned: bool,
}

impl Shared {
    fn live(&self) -> Arc<Live> {
        self.live
            .read()
            .map(|live| live.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// Counts one reply in the health window; warns once each time it crosses 80%.
    fn count_delivery(&self, status: u16) {
        let Ok(mut watch) = self.health.lock() else {
            return;
        };
        let now = watch.started.elapsed().as_secs_f64();
        let ok = crate::health::is_success(status);
        watch.health.record(now, ok);
        if ok && !watch.warned {
            // A success only lowers the failure ratio: nothing to say.
            return;
        }
        let snapshot = watch.health.snapshot(now);
        if snapshot.would_disable() && !watch.warned {
            watch.warned = true;
            log::warn!("{}", crate::health::describe(&snapshot));
        } else if !snapshot.would_disable() {
            watch.warned = false;
        }
    }
}

impl Capture {
    /// Binds `config.bind` and starts serving; records go to `journal`.
    pub fn start(
        config: ListenerConfig,
        verifier: SharedVerifier,
        journal: Journal,
    ) -> Result<Capture, CaptureError> {
        let addr = config.bind;
        let std_listener =
            std::net::TcpListener::bind(addr).map_err(|source| match source.kind() {
                std::io::ErrorKind::AddrInUse => CaptureError::AddrInUse { addr },
                std::io::ErrorKind::PermissionDenied => CaptureError::PermissionDenied { addr },
                std::io::ErrorKind::AddrNotAvailable => CaptureError::AddrNotAvailable { addr },
                _ => CaptureError::Bind { addr, source },
            })?;
        std_listener.set_nonblocking(true)?;
        let local_addr = std_listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.workers.max(1))
            .thread_name("hookscope-http")
            .enable_all()
            .build()?;
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(std_listener)?
        };
        let (shutdown, stop) = watch::channel(false);
        let live = Live {
            reply: config.reply.clone(),
            forward: config.forward.clone(),
        };
        let budget = Arc::new(BodyBudget {
            limit: config.body_budget,
            used: std::sync::atomic::AtomicUsize::new(0),
        });
        // Hex digits and dashes: always a valid header value. The random part (std's
        // per-process hash keys) keeps others from guessing it.
        let random = std::hash::BuildHasher::hash_one(
            &std::collections::hash_map::RandomState::new(),
            jiff::Timestamp::now().as_nanosecond(),
        );
        let instance = hyper::header::HeaderValue::from_str(&format!(
            "{:x}-{:x}-{random:x}",
            std::process::id(),
            jiff::Timestamp::now().as_nanosecond()
        ))
        .unwrap_or_else(|_| hyper::header::HeaderValue::from_static("hookscope"));
        let shared = Arc::new(Shared {
            instance,
            budget,
            config,
            live: RwLock::new(Arc::new(live)),
            verifier,
            journal,
            health: Mutex::new(HealthWatch {
                started: std::time::Instant::now(),
                health: crate::health::Health::default(),
                warned: false,
            }),
        });
        let shared_for_handle = shared.clone();
        let thread = std::thread::Builder::new()
            .name("hookscope-listener".to_owned())
            .spawn(move || {
                runtime.block_on(serve(listener, shared, stop));
                // Connections still open after the grace period are cut here.
                runtime.shutdown_timeout(Duration::from_secs(1));
            })?;
        Ok(Capture {
            local_addr,
            shutdown,
            thread: Some(thread),
            shared: shared_for_handle,
        })
    }

    /// The address actually bound (with the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The URL to give a sender.
    /// The delivery health of what senders got from this listener (Truora's
    /// 80%-in-60-minutes rule).
    pub fn health(&self) -> crate::health::Snapshot {
        let mut watch = self
            .shared
            .health
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let now = watch.started.elapsed().as_secs_f64();
        watch.health.snapshot(now)
    }

    /// Forgets the delivery health (the window's list was cleared).
    pub fn reset_health(&self) {
        let mut watch = self
            .shared
            .health
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        watch.health = crate::health::Health::default();
        watch.warned = false;
    }

    /// The one "listening on" line, on stderr as soon as the listener is bound (the
    /// window and `listen` alike: scripts read the real port from it), and a
    /// warning before it when the address is not loopback.
    pub fn announce(&self) {
        let addr = self.local_addr();
        if !addr.ip().is_loopback() {
            eprintln!(
                "warning: listening on {addr}, which is not loopback: anyone who can reach this machine can send requests and read the replies"
            );
        }
        eprintln!("listening on {}", self.url());
    }

    /// This listener's mark: on what it forwards (a request that comes back with it
    /// is a loop), and on a replay sent to it (which it then links to its original).
    pub fn mark(&self) -> &str {
        self.shared.instance.to_str().unwrap_or_default()
    }

    /// The URL senders use: `http://ADDR/`, or `https://ADDR/` with a certificate.
    pub fn url(&self) -> String {
        let scheme = if self.shared.config.tls.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}/", self.local_addr)
    }

    /// Changes the reply policy and forward target for requests from now on.
    pub fn set_live(&self, live: Live) {
        if let Ok(mut slot) = self.shared.live.write() {
            *slot = Arc::new(live);
        }
    }

    /// Stops accepting, finishes accepted requests (up to a grace period) and joins.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            log::error!("the listener thread panicked");
        }
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

/// A verifier slot for [`Capture::start`].
pub fn shared_verifier(verifier: Verifier) -> SharedVerifier {
    Arc::new(RwLock::new(Arc::new(verifier)))
}

/// One connection, in clear or over TLS, served until it closes.
async fn connection<S>(
    stream: S,
    remote: SocketAddr,
    shared: Arc<Shared>,
    builder: http1::Builder,
    watcher: hyper_util::server::graceful::Watcher,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (io, tap) = tap::TapIo::new(stream, shared.config.write_timeout);
    // Printed once per connection, not once per request.
    let remote_text: Arc<str> = Arc::from(remote.to_string());
    let service = hyper::service::service_fn(move |request| {
        handler::handle(request, shared.clone(), remote_text.clone(), tap.clone())
    });
    if let Err(err) = watcher
        .watch(builder.serve_connection(TokioIo::new(io), service))
        .await
    {
        log::debug!("connection from {remote}: {err}");
    }
}

async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(shared.config.header_timeout)
        .max_buf_size(tap::MAX_HEAD_BYTES)
        .max_headers(tap::MAX_HEADERS)
        // A client that shuts its write side after a complete request still gets
        // its reply (and the request its record).
        .half_close(true)
        .keep_alive(true);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            _ = stop.changed() => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    log::warn!("accept failed: {err}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let builder = builder.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            match shared.config.tls.clone() {
                None => connection(stream, remote, shared, builder, watcher).await,
                Some(tls) => {
                    // The handshake has the time a request head has.
                    let accept = tokio_rustls::TlsAcceptor::from(tls).accept(stream);
                    match tokio::time::timeout(shared.config.header_timeout, accept).await {
                        Ok(Ok(stream)) => {
                            connection(stream, remote, shared, builder, watcher).await;
                        }
                        Ok(Err(err)) => log::debug!("TLS handshake with {remote}: {err}"),
                        Err(_) => log::debug!("TLS handshake with {remote}: too slow"),
                    }
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(10), graceful.shutdown())
        .await
        .is_err()
    {
        log::warn!("some connections were still open 10 s after the stop; they were cut");
    }
}
