//! Following a real mailbox over IMAP (`--imap imaps://USER@HOST[:PORT]/MAILBOX`),
//! where Truora's email hooks land, with async-imap over rustls.
//!
//! Read-only: the mailbox is opened with `EXAMINE` and messages are read with
//! `BODY.PEEK[]`, so nothing is marked, moved or deleted. New messages are found by
//! UID, then the follower waits with `IDLE` (or polls every 30 s without it). Each
//! message is journaled once across restarts: the journal's records keep
//! `email.mailbox`, `email.uid_validity` and `email.uid`, and the follower starts
//! after the last one it finds there. A changed UIDVALIDITY starts again from the
//! last message's date, skipping Message-IDs already journaled. Errors are said and
//! the connection tried again with backoff (1 s doubling to 60 s).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use futures_util::TryStreamExt as _;
use tokio::net::TcpStream;
use tokio::sync::watch;
use zeroize::Zeroizing;

use super::dkim::Dkim;
use super::parse::Envelope;
use crate::capture::Journal;
use crate::record::Transport;

mod seen;
mod url;

pub use seen::Seen;
pub use url::ImapUrl;

/// The environment variable `--imap` reads the password from.
pub const PASSWORD_ENV: &str = "HOOKSCOPE_IMAP_PASSWORD";

/// Messages fetched per `UID FETCH`: each batch is journaled before the next.
const BATCH: usize = 50;

/// How long a connection, its TLS handshake and its login may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// An `IDLE` is renewed this often (RFC 2177: servers may end one after 30 minutes).
const IDLE_RENEW: Duration = Duration::from_secs(25 * 60);

/// The longest wait between two tries.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// What the follower needs: the mailbox, its password, and whom to trust.
#[derive(Clone)]
pub struct ImapConfig {
    pub url: ImapUrl,
    pub password: Zeroizing<String>,
    /// A CA file for a private server (`--imap-ca`); else the system's roots.
    pub ca: Option<PathBuf>,
    /// How often to look for new messages when the server has no `IDLE`.
    pub poll: Duration,
}

impl std::fmt::Debug for ImapConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapConfig")
            .field("url", &self.url)
            .field("password", &"(hidden)")
            .field("ca", &self.ca)
            .finish()
    }
}

impl ImapConfig {
    /// The config for `url`, its password read from `password_file` or else from
    /// the environment ([`PASSWORD_ENV`]).
    pub fn new(
        url: ImapUrl,
        password_file: Option<&Path>,
        ca: Option<PathBuf>,
    ) -> anyhow::Result<ImapConfig> {
        let password = match password_file {
            Some(path) => {
                let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|err| {
                    anyhow::anyhow!("could not read the IMAP password file {}: {err}", path.display())
                })?);
                Zeroizing::new(
                    text.strip_suffix('\n')
                        .map(|t| t.strip_suffix('\r').unwrap_or(t))
                        .unwrap_or(&text)
                        .to_owned(),
                )
            }
            None => Zeroizing::new(std::env::var(PASSWORD_ENV).map_err(|_| {
                anyhow::anyhow!(
                    "--imap needs the mailbox's password: give --imap-password-file FILE or set {PASSWORD_ENV}"
                )
            })?),
        };
        Ok(ImapConfig {
            url,
            password,
            ca,
            poll: Duration::from_secs(30),
        })
    }
}

/// Where the follower stands, for a status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowState {
    /// Connecting (the first time, or again after a wait).
    Connecting,
    /// Logged in and up to date; waiting for new mail.
    Following { journaled: u64 },
    /// The last try failed for `why`; the next comes after a wait.
    Retrying { why: String, in_secs: u64 },
}

/// A running follower; stopping it (or dropping it) logs out and joins its thread.
pub struct ImapFollower {
    state: Arc<Mutex<FollowState>>,
    shutdown: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl ImapFollower {
    /// Follows `config`'s mailbox on a thread of its own, journaling each new
    /// message to `journal` (whose file, `journal_path`, says what was journaled
    /// before) and checking its DKIM signatures with `dkim`.
    pub fn start(
        config: ImapConfig,
        journal: Journal,
        journal_path: Option<PathBuf>,
        dkim: Dkim,
    ) -> std::io::Result<ImapFollower> {
        let state = Arc::new(Mutex::new(FollowState::Connecting));
        let (shutdown, stopped) = watch::channel(false);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let shared = state.clone();
        let thread = std::thread::Builder::new()
            .name("hookscope-imap".to_owned())
            .spawn(move || {
                runtime.block_on(follow(config, journal, journal_path, dkim, shared, stopped));
            })?;
        Ok(ImapFollower {
            state,
            shutdown,
            thread: Some(thread),
        })
    }

    /// Where the follower stands now.
    pub fn state(&self) -> FollowState {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Stops following; what was journaled stays journaled.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for ImapFollower {
    fn drop(&mut self) {
        self.halt();
    }
}

/// Why a try ended.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("{0}")]
    Said(String),
    #[error("stopped")]
    Stopped,
}

impl From<async_imap::error::Error> for Failure {
    fn from(err: async_imap::error::Error) -> Failure {
        Failure::Said(format!("the IMAP server: {err}"))
    }
}

impl From<std::io::Error> for Failure {
    fn from(err: std::io::Error) -> Failure {
        Failure::Said(err.to_string())
    }
}

/// The follower's life: connect, catch up, wait for mail; on an error, say it and
/// try again after a wait that doubles up to a minute.
async fn follow(
    config: ImapConfig,
    journal: Journal,
    journal_path: Option<PathBuf>,
    dkim: Dkim,
    state: Arc<Mutex<FollowState>>,
    mut stopped: watch::Receiver<bool>,
) {
    let mailbox = config.url.to_string();
    let set = |to: FollowState| *state.lock().unwrap_or_else(PoisonError::into_inner) = to;
    let mut seen = match &journal_path {
        Some(path) => {
            let path = path.clone();
            let name = mailbox.clone();
            tokio::task::spawn_blocking(move || Seen::from_journal(&path, &name))
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or_default()
        }
        None => Seen::default(),
    };
    let mut follower = Follower {
        config: &config,
        mailbox: &mailbox,
        journal: &journal,
        dkim: &dkim,
        seen: &mut seen,
        journaled: 0,
        followed: false,
        announced: false,
    };
    let mut backoff = Duration::from_secs(1);
    loop {
        set(FollowState::Connecting);
        let outcome = follower.session(&set, &mut stopped).await;
        let why = match outcome {
            Err(Failure::Stopped) | Ok(()) => return,
            Err(Failure::Said(why)) => why,
        };
        // A session that got as far as following starts the waits over.
        if std::mem::take(&mut follower.followed) {
            backoff = Duration::from_secs(1);
        }
        eprintln!(
            "imap {mailbox}: {}; trying again in {} s",
            crate::terminal::escape(&why),
            backoff.as_secs()
        );
        set(FollowState::Retrying {
            why,
            in_secs: backoff.as_secs(),
        });
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            _ = stopped.changed() => return,
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One mailbox being followed, across sessions.
struct Follower<'a> {
    config: &'a ImapConfig,
    mailbox: &'a str,
    journal: &'a Journal,
    dkim: &'a Dkim,
    seen: &'a mut Seen,
    /// Messages journaled since the start.
    journaled: u64,
    /// The last session got as far as following.
    followed: bool,
    /// The "imap following" line was said.
    announced: bool,
}

type Session = async_imap::Session<tokio_rustls::client::TlsStream<TcpStream>>;

impl Follower<'_> {
    /// One connection: log in, open the mailbox read-only, catch up, then wait for
    /// new mail until an error or the stop.
    async fn session(
        &mut self,
        set: &impl Fn(FollowState),
        stopped: &mut watch::Receiver<bool>,
    ) -> Result<(), Failure> {
        let (mut session, remote) = tokio::select! {
            connected = tokio::time::timeout(CONNECT_TIMEOUT, self.connect()) => match connected {
                Ok(connected) => connected?,
                Err(_) => return Err(Failure::Said(format!(
                    "no answer from {}:{} within {} s",
                    self.config.url.host,
                    self.config.url.port,
                    CONNECT_TIMEOUT.as_secs()
                ))),
            },
            _ = stopped.changed() => return Err(Failure::Stopped),
        };
        let idle = session
            .capabilities()
            .await
            .map(|caps| caps.has_str("IDLE"))
            .unwrap_or(false);
        let opened = session
            .examine(&self.config.url.mailbox)
            .await
            .map_err(|err| {
                Failure::Said(format!(
                    "could not open the mailbox {:?}: {err}",
                    self.config.url.mailbox
                ))
            })?;
        let validity = opened.uid_validity.unwrap_or(0);
        if self.seen.last.is_some_and(|(v, _)| v != validity) {
            eprintln!(
                "imap {}: the mailbox's UIDVALIDITY changed; reading it again from the last message's date",
                self.mailbox
            );
        }
        self.catch_up(&mut session, validity, &remote).await?;
        if !self.announced {
            self.announced = true;
            eprintln!(
                "imap following {}: {} messages journaled, waiting for more ({})",
                self.mailbox,
                self.journaled,
                if idle { "IDLE" } else { "a look every 30 s" }
            );
        }
        self.followed = true;
        loop {
            set(FollowState::Following {
                journaled: self.journaled,
            });
            if idle {
                let mut handle = session.idle();
                handle.init().await?;
                let (wait, interrupt) = handle.wait_with_timeout(IDLE_RENEW);
                let stop = tokio::select! {
                    waited = wait => {
                        waited?;
                        false
                    }
                    _ = stopped.changed() => true,
                };
                drop(interrupt);
                session = handle.done().await?;
                if stop {
                    let _ = session.logout().await;
                    return Err(Failure::Stopped);
                }
            } else {
                tokio::select! {
                    () = tokio::time::sleep(self.config.poll) => {}
                    _ = stopped.changed() => {
                        let _ = session.logout().await;
                        return Err(Failure::Stopped);
                    }
                }
                session.noop().await?;
            }
            self.catch_up(&mut session, validity, &remote).await?;
        }
    }

    /// TCP, TLS (the server's name checked against the CA) and the login.
    async fn connect(&self) -> Result<(Session, String), Failure> {
        let url = &self.config.url;
        let tls = crate::tls::client(self.config.ca.as_deref())
            .map_err(|err| Failure::Said(format!("{err:#}")))?;
        let tcp = TcpStream::connect((url.host.as_str(), url.port))
            .await
            .map_err(|err| {
                Failure::Said(format!("could not reach {}:{}: {err}", url.host, url.port))
            })?;
        let remote = tcp
            .peer_addr()
            .map_or_else(|_| format!("{}:{}", url.host, url.port), |a| a.to_string());
        let name = rustls::pki_types::ServerName::try_from(url.host.clone())
            .map_err(|_| Failure::Said(format!("{:?} is no host name", url.host)))?;
        let stream = tokio_rustls::TlsConnector::from(tls)
            .connect(name, tcp)
            .await
            .map_err(|err| Failure::Said(format!("TLS with {}: {err}", url.host)))?;
        let mut client = async_imap::Client::new(stream);
        match client.read_response().await? {
            Some(_) => {}
            None => {
                return Err(Failure::Said(
                    "the server closed before its greeting".to_owned(),
                ));
            }
        }
        let session = client
            .login(&url.user, self.config.password.as_str())
            .await
            .map_err(|(err, _)| {
                Failure::Said(format!(
                    "the server refused the login of {:?} ({err}): check the user and the password",
                    url.user
                ))
            })?;
        Ok((session, remote))
    }

    /// Journals every message not journaled yet, oldest UID first.
    async fn catch_up(
        &mut self,
        session: &mut Session,
        validity: u32,
        remote: &str,
    ) -> Result<(), Failure> {
        let (uids, skip_known) = match self.seen.last {
            Some((v, last)) if v == validity => {
                let found = session
                    .uid_search(format!("UID {}:*", last.saturating_add(1)))
                    .await?;
                // `n:*` always holds the last message, even below n.
                (
                    found
                        .into_iter()
                        .filter(|&uid| uid > last)
                        .collect::<Vec<_>>(),
                    false,
                )
            }
            Some(_) => {
                // A new UIDVALIDITY: the UIDs say nothing; read again from the last
                // message's day, skipping what was journaled (by Message-ID).
                let query = match self.seen.last_date {
                    Some(date) => format!("SINCE {}", imap_date(date)),
                    None => "ALL".to_owned(),
                };
                (session.uid_search(query).await?.into_iter().collect(), true)
            }
            None => (
                session.uid_search("ALL").await?.into_iter().collect(),
                false,
            ),
        };
        let mut uids = uids;
        uids.sort_unstable();
        for batch in uids.chunks(BATCH) {
            let set = batch
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let mut messages: Vec<(u32, Vec<u8>)> = session
                .uid_fetch(&set, "(UID BODY.PEEK[])")
                .await?
                .try_filter_map(|fetch| async move {
                    Ok(fetch.uid.zip(fetch.body().map(<[u8]>::to_vec)))
                })
                .try_collect()
                .await?;
            messages.sort_unstable_by_key(|(uid, _)| *uid);
            for (uid, raw) in messages {
                self.keep(raw, validity, uid, remote, skip_known).await?;
            }
        }
        // Even when nothing was journaled, what comes next is under this UIDVALIDITY.
        if self.seen.last.is_none_or(|(v, _)| v != validity)
            && let Some(&last) = uids.last()
        {
            self.seen.last = Some((validity, last));
        }
        Ok(())
    }

    /// Reads, checks and journals one message (unless its Message-ID was journaled
    /// and `skip_known` says to look).
    async fn keep(
        &mut self,
        raw: Vec<u8>,
        validity: u32,
        uid: u32,
        remote: &str,
        skip_known: bool,
    ) -> Result<(), Failure> {
        let envelope = Envelope {
            transport: Transport::Imap,
            remote_addr: remote.to_owned(),
            mailbox: Some(self.mailbox.to_owned()),
            uid_validity: Some(validity),
            uid: Some(uid),
            ..Envelope::default()
        };
        let received_at = crate::record::now();
        let mut record = super::parse::record(raw, false, envelope, &received_at);
        let message_id = record.email.as_ref().and_then(|e| e.message_id.clone());
        if skip_known
            && message_id
                .as_ref()
                .is_some_and(|id| self.seen.message_ids.contains(id))
        {
            self.seen.last = Some((validity, uid));
            return Ok(());
        }
        self.dkim.check(&mut record).await;
        self.journal
            .commit(record)
            .await
            .map_err(|err| Failure::Said(format!("could not journal a message: {err}")))?;
        self.journaled += 1;
        self.seen.last = Some((validity, uid));
        if let Some(id) = message_id {
            self.seen.message_ids.insert(id);
        }
        Ok(())
    }
}

/// A day as IMAP's `SEARCH SINCE` takes it (`7-Dec-2026`), the day before `at` so
/// that no time zone hides a message.
fn imap_date(at: jiff::Timestamp) -> String {
    let day = at.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    let day = day.yesterday().unwrap_or(day);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}-{}-{}",
        day.day(),
        MONTHS[usize::try_from(day.month() - 1).unwrap_or(0)],
        day.year()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_dates_are_a_day_early() {
        let at: jiff::Timestamp = "2026-12-01T00:30:00Z".parse().unwrap();
        assert_eq!(imap_date(at), "30-Nov-2026");
    }
}
