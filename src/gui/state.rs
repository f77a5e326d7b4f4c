//! Everything the window knows, and [`AppState::apply`], the one place a
//! [`Command`] from a panel changes it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::store::{Filter, Store};
use crate::capture::{Capture, Journal, ListenerConfig, SharedVerifier, shared_verifier};
use crate::export::{Format, Loaded};
use crate::record::{Record, Signature};
use crate::token::{Secret, SecretEncoding, Verifier};

/// Most time a frame spends taking in new events or re-verifying old ones.
pub const FRAME_BUDGET: Duration = Duration::from_millis(4);

/// What a panel asks for; applied by [`AppState::apply`].
#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Select(u64),
    /// Moves the selection by this many rows of the visible list (negative: up).
    MoveSelection(i64),
    FilterChanged,
    SecretsChanged,
    AddSecret,
    RemoveSecret(usize),
    StartListener,
    StopListener,
    SendTestHook,
    ShowExport,
    ShowOpen,
    CloseDialog,
    Browse,
    RunDialog,
    Clear,
    Copy(String),
    SetNewestFirst(bool),
    FocusFilter,
    DismissNotice,
    /// Use the reply and forward fields for requests from now on.
    ApplyReply,
    /// Keep secret values in the system's credential store (true) or forget them.
    SetRememberSecrets(bool),
    /// Send the selected event (false) or every shown event (true) again to `replay_url`.
    Replay {
        shown: bool,
    },
}

/// One secret as the user typed it.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretEntry {
    pub label: String,
    pub value: String,
    pub encoding: SecretEncoding,
    /// Show the value instead of dots.
    pub shown: bool,
}

impl SecretEntry {
    /// An entry shown as dots.
    fn new(label: String, value: String, encoding: SecretEncoding) -> Self {
        SecretEntry {
            label,
            value,
            encoding,
            shown: false,
        }
    }
}

/// A secret as saved between runs: its value only when the user opted in.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SavedSecret {
    pub label: String,
    pub encoding: SecretEncoding,
    /// Read from settings an older version wrote in plain text (then moved to the
    /// credential store); never written.
    #[serde(default, skip_serializing)]
    pub value: Option<String>,
}

/// Settings that survive restarts (eframe persistence).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Settings {
    pub bind: String,
    pub secrets: Vec<SavedSecret>,
    pub remember_secret_values: bool,
    pub newest_first: bool,
    pub test_product: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bind: crate::capture::DEFAULT_BIND.to_owned(),
            secrets: Vec::new(),
            remember_secret_values: false,
            newest_first: true,
            test_product: "digital_identity".to_owned(),
        }
    }
}

/// The listener as the top bar shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum ListenerStatus {
    Stopped,
    Running {
        url: String,
        exposed: bool,
    },
    Failed(String),
    /// A saved address that is not loopback: not bound until the user says so.
    ConfirmExposed {
        addr: String,
    },
}

/// A message in the status line.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
}

/// Export or open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileMode {
    Export,
    Open,
}

/// The in-app file dialog: always usable, with a system dialog as a shortcut.
#[derive(Debug, Clone, PartialEq)]
pub struct FileDialog {
    pub mode: FileMode,
    pub path: String,
    pub only_filtered: bool,
    pub browsing: bool,
}

/// The selected event, decoded with the current secrets.
#[derive(Debug, Clone)]
pub struct Detail {
    pub seq: u64,
    pub record: Record,
    generation: u64,
}

/// Where remembered secret values stand with the credential store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyringStatus {
    /// Nothing asked of it yet (or not remembering).
    Idle,
    /// A load or a store is on its way.
    Working,
    /// The values are in the store (or were read back from it).
    Kept,
    /// No store: the values stay for this session only.
    Unavailable(String),
}

/// Work done off the UI thread, reported back.
enum Job {
    Keyring(crate::credentials::Report),
    TestHook(Result<u16, String>),
    Exported(Result<(PathBuf, usize), String>),
    Opened(PathBuf, Result<Loaded, String>),
    Browsed(Option<PathBuf>),
    Replayed {
        sent: usize,
        failed: Vec<String>,
        url: String,
    },
    Restored(PathBuf, Result<Loaded, String>),
}

/// Arrivals over the last seconds, for the events-per-second figure.
#[derive(Debug, Default)]
struct Rate {
    arrivals: std::collections::VecDeque<(Instant, usize)>,
}

impl Rate {
    const WINDOW: Duration = Duration::from_secs(5);

    fn add(&mut self, now: Instant, n: usize) {
        self.arrivals.push_back((now, n));
        self.trim(now);
    }

    fn trim(&mut self, now: Instant) {
        while self
            .arrivals
            .front()
            .is_some_and(|(at, _)| now.duration_since(*at) > Self::WINDOW)
        {
            self.arrivals.pop_front();
        }
    }

    fn per_second(&mut self, now: Instant) -> f64 {
        self.trim(now);
        let n: usize = self.arrivals.iter().map(|(_, n)| n).sum();
        n as f64 / Self::WINDOW.as_secs_f64()
    }
}

/// Where the window keeps its journal and how big it may grow in memory.
#[derive(Debug, Clone)]
pub struct Startup {
    pub settings: Settings,
    /// The address was given on the command line (it wins over a saved one, and
    /// is bound without asking even when it is not loopback).
    pub bind_given: bool,
    /// The journal (the app's data folder, or `--out`); `None`: nothing written.
    pub journal: Option<PathBuf>,
    pub max_events: usize,
    pub listener: ListenerConfig,
    /// Start listening at once.
    pub listen: bool,
    /// A capture to show at start (`--open`).
    pub open: Option<PathBuf>,
    /// Secrets from the command line or environment, tried before saved ones.
    pub secrets: Vec<String>,
    pub secret_encoding: SecretEncoding,
}

impl Default for Startup {
    fn default() -> Self {
        Startup {
            settings: Settings::default(),
            bind_given: false,
            journal: None,
            max_events: 100_000,
            listener: ListenerConfig::default(),
            listen: false,
            open: None,
            secrets: Vec::new(),
            secret_encoding: SecretEncoding::Utf8,
        }
    }
}

/// The whole state of the window.
pub struct AppState {
    pub store: Store,
    pub secrets: Vec<SecretEntry>,
    /// A problem per secret (empty, not base64...), by index.
    pub secret_errors: Vec<Option<String>>,
    pub remember_secret_values: bool,
    /// The credential store, as far as remembered values go.
    pub keyring: KeyringStatus,
    keeper: Option<crate::credentials::Keeper>,
    pub filter_text: String,
    pub filter_signature: Option<Signature>,
    pub filter_product: Option<&'static str>,
    pub selected: Option<u64>,
    pub detail: Option<Detail>,
    pub newest_first: bool,
    /// Keep the newest event in view; paused when the user scrolls away.
    pub follow: bool,
    pub bind_input: String,
    pub listener: ListenerStatus,
    pub notice: Option<Notice>,
    pub dialog: Option<FileDialog>,
    pub test_product: String,
    /// One-shot: give the filter field keyboard focus.
    pub focus_filter: bool,
    /// One-shot: scroll the list to the selected row.
    pub scroll_to_selected: bool,
    /// Set when new events arrived this frame.
    pub arrived: usize,
    pub journal_path: Option<PathBuf>,
    pub copied: Option<String>,
    /// The file a capture was opened from, while it is shown.
    pub opened_from: Option<PathBuf>,
    pub reply_status: u16,
    pub reply_delay_ms: u64,
    pub reply_body: String,
    pub reply_content_type: String,
    pub forward_on: bool,
    pub forward_url: String,
    /// Where replays go; empty: the forward target if on, else this listener.
    pub replay_url: String,
    /// The journal is being read back; live events wait so the order stays true.
    restore_pending: bool,
    /// Restored records not yet in the list (taken in per-frame slices).
    restoring: std::collections::VecDeque<Record>,
    restore_cancelled: bool,
    health: crate::health::Health,
    started: Instant,
    verifier: Arc<Verifier>,
    generation: u64,
    shared_verifier: SharedVerifier,
    config: ListenerConfig,
    rate: Rate,
    // Declared before the journal: the listener must stop before the journal is joined.
    capture: Option<Capture>,
    journal: Option<Journal>,
    records: Receiver<Record>,
    records_tx: Sender<Record>,
    jobs: Receiver<Job>,
    jobs_tx: Sender<Job>,
    waker: Arc<dyn Fn() + Send + Sync>,
}

impl AppState {
    /// A window's state; restores the journal, opens it for appending and, when
    /// asked, starts the listener. `waker` is called from other threads when there
    /// is news (the GUI passes `ctx.request_repaint`).
    pub fn new(startup: Startup, waker: Arc<dyn Fn() + Send + Sync>) -> Self {
        let (records_tx, records) = channel();
        let (jobs_tx, jobs) = channel();
        let settings = startup.settings;
        let mut secrets: Vec<SecretEntry> = startup
            .secrets
            .iter()
            .enumerate()
            .map(|(i, value)| {
                SecretEntry::new(
                    format!("command line #{}", i + 1),
                    value.clone(),
                    startup.secret_encoding,
                )
            })
            .collect();
        secrets.extend(settings.secrets.iter().map(|saved| {
            SecretEntry::new(
                saved.label.clone(),
                saved.value.clone().unwrap_or_default(),
                saved.encoding,
            )
        }));
        if secrets.is_empty() {
            secrets.push(SecretEntry::new(
                "Truora hook secret".to_owned(),
                String::new(),
                SecretEncoding::Utf8,
            ));
        }
        let mut state = AppState {
            store: Store::new(startup.max_events),
            secrets,
            secret_errors: Vec::new(),
            remember_secret_values: settings.remember_secret_values,
            keyring: KeyringStatus::Idle,
            keeper: None,
            filter_text: String::new(),
            filter_signature: None,
            filter_product: None,
            selected: None,
            detail: None,
            newest_first: settings.newest_first,
            follow: true,
            bind_input: settings.bind.clone(),
            listener: ListenerStatus::Stopped,
            notice: None,
            dialog: None,
            test_product: settings.test_product.clone(),
            focus_filter: false,
            scroll_to_selected: false,
            arrived: 0,
            journal_path: startup.journal.clone(),
            copied: None,
            opened_from: None,
            reply_status: startup.listener.reply.status,
            reply_delay_ms: startup.listener.reply.delay.as_millis() as u64,
            reply_body: startup.listener.reply.body.clone().unwrap_or_default(),
            reply_content_type: startup.listener.reply.content_type.clone(),
            forward_on: startup.listener.forward.is_some(),
            forward_url: startup.listener.forward.as_ref().map_or_else(
                || "http://127.0.0.1:3000".to_owned(),
                |t| t.base().to_owned(),
            ),
            replay_url: String::new(),
            restore_pending: false,
            restoring: std::collections::VecDeque::new(),
            restore_cancelled: false,
            health: crate::health::Health::default(),
            started: Instant::now(),
            verifier: Arc::new(Verifier::default()),
            generation: 0,
            shared_verifier: shared_verifier(Verifier::default()),
            config: startup.listener,
            rate: Rate::default(),
            capture: None,
            journal: None,
            records,
            records_tx,
            jobs,
            jobs_tx,
            waker,
        };
        state.rebuild_verifier();
        if state.remember_secret_values {
            let legacy = settings.secrets.iter().any(|saved| saved.value.is_some());
            if legacy {
                // An older version wrote them in plain text: move them to the store.
                state.keep_secret_values();
            } else {
                state.load_secret_values(settings.secrets.len());
            }
        }
        state.open_journal(startup.journal.as_deref());
        let saved_exposed = !startup.bind_given
            && state
                .bind_input
                .trim()
                .parse::<std::net::SocketAddr>()
                .is_ok_and(|addr| !addr.ip().is_loopback());
        if startup.listen && saved_exposed {
            // A saved address reachable from the network is never bound silently.
            state.listener = ListenerStatus::ConfirmExposed {
                addr: state.bind_input.trim().to_owned(),
            };
        } else if startup.listen {
            state.start_listener();
        }
        if let Some(path) = startup.open {
            state.open_file(path);
        }
        state
    }

    fn open_journal(&mut self, path: Option<&Path>) {
        let tx = self.records_tx.clone();
        let waker = self.waker.clone();
        let subscriber: crate::capture::journal::Subscriber = Box::new(move |record| {
            let _ = tx.send(record);
            waker();
        });
        let journal = match path {
            Some(path) => {
                self.restore(path);
                Journal::open(path, Some(subscriber)).map_err(|err| {
                    format!(
                        "could not open the journal {}: {err}; events are not saved",
                        path.display()
                    )
                })
            }
            None => Journal::spawn(Box::new(std::io::sink()), 0, Some(subscriber))
                .map_err(|err| err.to_string()),
        };
        match journal {
            Ok(journal) => self.journal = Some(journal),
            Err(text) => self.notice = Some(Notice { text, error: true }),
        }
    }

    /// Reads the journal back on a worker thread; the list fills in per-frame slices.
    fn restore(&mut self, path: &Path) {
        if !path.exists() {
            return;
        }
        self.restore_pending = true;
        let path = path.to_owned();
        let jobs = self.jobs_tx.clone();
        let waker = self.waker.clone();
        spawn_named("hookscope-restore", move || {
            let loaded = crate::export::load(&path).map_err(|err| err.to_string());
            let _ = jobs.send(Job::Restored(path, loaded));
            waker();
        });
    }
}

impl AppState {
    /// A sender into the channel the journal feeds: what arrives here is shown
    /// as if it had been captured (tests, and records made by other parts).
    pub fn record_sender(&self) -> Sender<Record> {
        self.records_tx.clone()
    }

    /// The verifier built from the secrets as they are now.
    pub fn verifier(&self) -> &Arc<Verifier> {
        &self.verifier
    }

    /// Builds the verifier from the secret entries (skipping the ones in error),
    /// hands it to the listener and starts re-verifying the held events.
    fn rebuild_verifier(&mut self) {
        let mut secrets = Vec::new();
        self.secret_errors = self
            .secrets
            .iter()
            .enumerate()
            .map(|(index, entry)| {
                if entry.value.is_empty() {
                    return None;
                }
                match Secret::new(&entry.value, entry.encoding, index) {
                    Ok(secret) => {
                        secrets.push(secret);
                        None
                    }
                    Err(err) => Some(err.to_string()),
                }
            })
            .collect();
        self.verifier =
            Arc::new(Verifier::new(secrets).for_audience(crate::token::hints::Audience::Window));
        self.generation += 1;
        if let Ok(mut slot) = self.shared_verifier.write() {
            *slot = self.verifier.clone();
        }
        self.store.start_reverify();
    }

    /// Starts the listener on the address in the address field.
    fn start_listener(&mut self) {
        self.capture = None;
        let bind = match self.bind_input.trim().parse() {
            Ok(bind) => bind,
            Err(_) => {
                self.listener = ListenerStatus::Failed(format!(
                    "{:?} is not an address: use HOST:PORT, e.g. 127.0.0.1:8787 (port 0 picks a free one)",
                    self.bind_input.trim()
                ));
                return;
            }
        };
        let Some(journal) = self.journal.as_ref() else {
            self.listener = ListenerStatus::Failed(
                "the journal is not open, so nothing could be saved".to_owned(),
            );
            return;
        };
        let config = ListenerConfig {
            bind,
            ..self.config.clone()
        };
        match Capture::start(config, self.shared_verifier.clone(), journal.handle()) {
            Ok(capture) => {
                // As `listen` does, so scripts driving the window learn the real port.
                eprintln!("listening on {}", capture.url());
                let exposed = !capture.local_addr().ip().is_loopback();
                if exposed {
                    eprintln!(
                        "warning: listening on {}, which is not loopback: anyone who can reach this machine can send requests",
                        capture.local_addr()
                    );
                }
                self.listener = ListenerStatus::Running {
                    url: capture.url(),
                    exposed,
                };
                self.capture = Some(capture);
            }
            Err(err) => self.listener = ListenerStatus::Failed(err.to_string()),
        }
    }

    /// The listener's URL while it runs.
    pub fn url(&self) -> Option<&str> {
        match &self.listener {
            ListenerStatus::Running { url, .. } => Some(url),
            _ => None,
        }
    }

    /// Applies one command.
    pub fn apply(&mut self, command: Command) {
        match command {
            Command::Select(seq) => self.select(Some(seq)),
            Command::MoveSelection(delta) => self.move_selection(delta),
            Command::FilterChanged => {
                self.store.set_filter(Filter {
                    text: self.filter_text.clone(),
                    signature: self.filter_signature,
                    product: self.filter_product,
                });
            }
            Command::SecretsChanged => {
                self.rebuild_verifier();
                self.keep_secret_values();
            }
            Command::SetRememberSecrets(on) => {
                self.remember_secret_values = on;
                if on {
                    self.keep_secret_values();
                } else {
                    // Forget what was kept: every row's value is deleted.
                    let rows = self.saved_rows().count();
                    self.ask_keeper(|keeper| keeper.store(vec![None; rows]));
                }
            }
            Command::AddSecret => {
                self.secrets.push(SecretEntry::new(
                    format!("secret #{}", self.secrets.len() + 1),
                    String::new(),
                    SecretEncoding::Utf8,
                ));
                self.rebuild_verifier();
            }
            Command::RemoveSecret(index) => {
                if index < self.secrets.len() {
                    self.secrets.remove(index);
                    self.rebuild_verifier();
                }
            }
            Command::StartListener => self.start_listener(),
            Command::StopListener => {
                if let Some(capture) = self.capture.take() {
                    capture.stop();
                }
                self.listener = ListenerStatus::Stopped;
            }
            Command::SendTestHook => self.send_test_hook(),
            Command::ShowExport => {
                let name = format!(
                    "hookscope-{}.ndjson",
                    time::OffsetDateTime::now_utc().unix_timestamp()
                );
                self.dialog = Some(FileDialog {
                    mode: FileMode::Export,
                    path: default_dir().join(name).display().to_string(),
                    only_filtered: self.store.filter().is_active(),
                    browsing: false,
                });
            }
            Command::ShowOpen => {
                let path = self
                    .journal_path
                    .clone()
                    .unwrap_or_else(|| default_dir().join("capture.ndjson"));
                self.dialog = Some(FileDialog {
                    mode: FileMode::Open,
                    path: path.display().to_string(),
                    only_filtered: false,
                    browsing: false,
                });
            }
            Command::CloseDialog => self.dialog = None,
            Command::Browse => self.browse(),
            Command::RunDialog => self.run_dialog(),
            Command::Clear => self.clear(),
            Command::Copy(text) => self.copied = Some(text),
            Command::SetNewestFirst(newest_first) => {
                self.newest_first = newest_first;
                self.follow = true;
            }
            Command::FocusFilter => self.focus_filter = true,
            Command::DismissNotice => self.notice = None,
            Command::ApplyReply => self.apply_reply(),
            Command::Replay { shown } => self.replay(shown),
        }
    }

    fn apply_reply(&mut self) {
        let forward = if self.forward_on {
            match crate::forward::Target::parse(self.forward_url.trim(), Duration::from_secs(10)) {
                Ok(target) => Some(target),
                Err(text) => {
                    self.notice = Some(Notice { text, error: true });
                    return;
                }
            }
        } else {
            None
        };
        let reply = crate::capture::ReplyPolicy {
            status: self.reply_status,
            delay: Duration::from_millis(self.reply_delay_ms),
            body: Some(self.reply_body.clone()).filter(|b| !b.is_empty()),
            content_type: self.reply_content_type.clone(),
        };
        self.config.reply = reply.clone();
        self.config.forward = forward.clone();
        let text = match &forward {
            Some(target) => format!("forwarding to {}; senders get its replies", target.base()),
            None => format!("replying {} to every request", reply.status),
        };
        if let Some(capture) = &self.capture {
            capture.set_live(crate::capture::Live { reply, forward });
        }
        self.notice = Some(Notice { text, error: false });
    }

    /// Where a replay goes when the field is empty.
    pub fn default_replay_url(&self) -> String {
        if self.forward_on && !self.forward_url.trim().is_empty() {
            self.forward_url.trim().to_owned()
        } else {
            self.curl_base()
        }
    }

    fn replay(&mut self, shown: bool) {
        let records: Vec<Arc<Record>> = if shown {
            self.store
                .visible()
                .iter()
                .filter_map(|seq| self.store.get(*seq))
                .map(|e| e.record.clone())
                .collect()
        } else {
            self.selected
                .and_then(|seq| self.store.get(seq))
                .map(|e| vec![e.record.clone()])
                .unwrap_or_default()
        };
        let Some(journal) = self.journal.as_ref().map(|j| j.handle()) else {
            return;
        };
        if records.is_empty() {
            self.inform("nothing to replay: select an event first");
            return;
        }
        let url = match self.replay_url.trim() {
            "" => self.default_replay_url(),
            url => url.to_owned(),
        };
        let jobs = self.jobs_tx.clone();
        let waker = self.waker.clone();
        self.inform(&format!("replaying {} event(s) to {url}…", records.len()));
        spawn_named("hookscope-replay", move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            let mut failed = Vec::new();
            let mut sent = 0;
            if let Ok(runtime) = runtime {
                for original in records {
                    let result = runtime.block_on(async {
                        let record =
                            crate::replay::replay(&original, &url, Duration::from_secs(10)).await?;
                        journal.commit(record).await.map_err(|e| e.to_string())
                    });
                    match result {
                        Ok(_) => sent += 1,
                        Err(err) => failed.push(err),
                    }
                }
            }
            let _ = jobs.send(Job::Replayed { sent, failed, url });
            waker();
        });
    }

    /// The delivery-health window of what senders got from this window's listener.
    pub fn health(&mut self) -> crate::health::Snapshot {
        let now = self.started.elapsed().as_secs_f64();
        self.health.snapshot(now)
    }

    /// The base URL a "Copy as curl" command sends to.
    pub fn curl_base(&self) -> String {
        self.url().map_or_else(
            || format!("http://{}", crate::capture::DEFAULT_BIND),
            |u| u.trim_end_matches('/').to_owned(),
        )
    }

    fn select(&mut self, seq: Option<u64>) {
        self.selected = seq;
        self.scroll_to_selected = true;
        self.refresh_detail();
    }

    fn move_selection(&mut self, delta: i64) {
        let visible = self.store.visible();
        if visible.is_empty() {
            return;
        }
        // Rows as drawn: newest first reverses the list.
        let row_of = |i: usize| {
            if self.newest_first {
                visible.len() - 1 - i
            } else {
                i
            }
        };
        let current = self
            .selected
            .and_then(|seq| visible.binary_search(&seq).ok())
            .map(row_of);
        let row = match current {
            Some(row) => (row as i64 + delta).clamp(0, visible.len() as i64 - 1) as usize,
            None if delta >= 0 => 0,
            None => visible.len() - 1,
        };
        let seq = visible[row_of(row)];
        self.follow = false;
        self.select(Some(seq));
    }

    /// Decodes the selected event again when the selection or the secrets changed.
    fn refresh_detail(&mut self) {
        let Some(seq) = self.selected else {
            self.detail = None;
            return;
        };
        if self
            .detail
            .as_ref()
            .is_some_and(|d| d.seq == seq && d.generation == self.generation)
        {
            return;
        }
        self.detail = self.store.get(seq).map(|entry| Detail {
            seq,
            record: reanalyzed(&entry.record, &self.verifier),
            generation: self.generation,
        });
    }

    fn clear(&mut self) {
        // A restore still under way would bring back what is being cleared.
        self.restore_cancelled = self.restore_pending;
        self.restoring.clear();
        self.store.clear();
        self.selected = None;
        self.detail = None;
        self.opened_from = None;
        if let Some(path) = &self.journal_path {
            let cleared = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .and_then(|file| file.set_len(0));
            self.notice = Some(match cleared {
                Ok(()) => Notice {
                    text: format!("cleared; the journal {} is empty", path.display()),
                    error: false,
                },
                Err(err) => Notice {
                    text: format!("could not clear the journal {}: {err}", path.display()),
                    error: true,
                },
            });
        }
    }

    fn send_test_hook(&mut self) {
        let Some(url) = self.url().map(|url| format!("{url}hooks/test")) else {
            self.notice = Some(Notice {
                text: "start the listener first: the test hook is sent to it".to_owned(),
                error: true,
            });
            return;
        };
        let product = self.test_product.clone();
        // Signed with the first usable secret, as Truora would sign with the hook's secret.
        let key = self
            .secrets
            .iter()
            .zip(&self.secret_errors)
            .find(|(entry, error)| !entry.value.is_empty() && error.is_none())
            .and_then(|(entry, _)| entry.encoding.decode(&entry.value))
            .unwrap_or_else(|| b"hookscope-demo-secret-without-a-real-key".to_vec());
        let jobs = self.jobs_tx.clone();
        let waker = self.waker.clone();
        let serial = self.store.len() as u64;
        spawn_named("hookscope-test-hook", move || {
            let now = crate::token::unix_now();
            let result = crate::samples::claims(&product, None, now, serial)
                .ok_or_else(|| format!("no sample for {product}"))
                .and_then(|claims| {
                    crate::send::sign(&claims, &key, jsonwebtoken::Algorithm::HS256)
                        .map_err(|err| err.to_string())
                })
                .and_then(|token| {
                    crate::send::post_blocking(&url, token.into(), Duration::from_secs(10))
                        .map(|d| d.status)
                        .map_err(|err| err.to_string())
                });
            let _ = jobs.send(Job::TestHook(result));
            waker();
        });
    }

    fn browse(&mut self) {
        let Some(dialog) = self.dialog.as_mut() else {
            return;
        };
        dialog.browsing = true;
        let mode = dialog.mode;
        let current = PathBuf::from(&dialog.path);
        let jobs = self.jobs_tx.clone();
        let waker = self.waker.clone();
        // rfd blocks until a person answers (or returns at once without a portal): never on the UI thread.
        spawn_named("hookscope-file-dialog", move || {
            let mut picker =
                rfd::FileDialog::new().add_filter("captures", &["ndjson", "jsonl", "json", "har"]);
            if let Some(dir) = current.parent() {
                picker = picker.set_directory(dir);
            }
            if let Some(name) = current.file_name().and_then(|n| n.to_str()) {
                picker = picker.set_file_name(name);
            }
            let picked = match mode {
                FileMode::Export => picker.save_file(),
                FileMode::Open => picker.pick_file(),
            };
            let _ = jobs.send(Job::Browsed(picked));
            waker();
        });
    }

    fn run_dialog(&mut self) {
        let Some(dialog) = self.dialog.clone() else {
            return;
        };
        let path = PathBuf::from(dialog.path.trim());
        match dialog.mode {
            FileMode::Open => self.open_file(path),
            FileMode::Export => {
                let Some(format) = Format::from_path(&path) else {
                    self.notice = Some(Notice {
                        text:
                            "name the file .ndjson, .json or .har: the extension picks the format"
                                .to_owned(),
                        error: true,
                    });
                    return;
                };
                let records: Vec<Arc<Record>> = if dialog.only_filtered {
                    self.store
                        .visible()
                        .iter()
                        .filter_map(|seq| self.store.get(*seq))
                        .map(|e| e.record.clone())
                        .collect()
                } else {
                    self.store.entries().map(|e| e.record.clone()).collect()
                };
                let verifier = self.verifier.clone();
                let jobs = self.jobs_tx.clone();
                let waker = self.waker.clone();
                let origin = self.url().map_or_else(
                    || format!("http://{}", self.bind_input.trim()),
                    str::to_owned,
                );
                spawn_named("hookscope-export", move || {
                    let full: Vec<Record> =
                        records.iter().map(|r| reanalyzed(r, &verifier)).collect();
                    let result = crate::export::write_atomic(&path, format, &full, &origin)
                        .map(|()| (path.clone(), full.len()))
                        .map_err(|err| format!("could not export to {}: {err}", path.display()));
                    let _ = jobs.send(Job::Exported(result));
                    waker();
                });
            }
        }
        self.dialog = None;
    }

    fn open_file(&mut self, path: PathBuf) {
        let jobs = self.jobs_tx.clone();
        let waker = self.waker.clone();
        spawn_named("hookscope-open", move || {
            let loaded = crate::export::load(&path).map_err(|err| err.to_string());
            let _ = jobs.send(Job::Opened(path, loaded));
            waker();
        });
    }

    /// The per-frame work: take in new events and job results, continue
    /// re-verification. Returns true when more work is waiting (ask for a repaint).
    pub fn tick(&mut self) -> bool {
        let started = Instant::now();
        let now = crate::token::unix_now();
        self.arrived = 0;
        let mut more = false;
        while let Ok(job) = self.jobs.try_recv() {
            self.finish_job(job, now);
        }
        while let Some(record) = self.restoring.pop_front() {
            self.store.push(record, &self.verifier, now);
            if started.elapsed() >= FRAME_BUDGET {
                more = true;
                break;
            }
        }
        // Live events wait until the journal's older ones are in, so the order holds.
        let waiting_for_restore = self.restore_pending || !self.restoring.is_empty();
        loop {
            if waiting_for_restore {
                break;
            }
            if started.elapsed() >= FRAME_BUDGET {
                more = true;
                break;
            }
            match self.records.try_recv() {
                Ok(record) => {
                    let at = self.started.elapsed().as_secs_f64();
                    self.health
                        .record(at, crate::health::is_success(record.response.status));
                    self.store.push(record, &self.verifier, now);
                    self.arrived += 1;
                }
                Err(_) => break,
            }
        }
        if self.arrived > 0 {
            self.rate.add(Instant::now(), self.arrived);
        }
        if self.store.reverifying().is_some() {
            let left = FRAME_BUDGET.saturating_sub(started.elapsed());
            more |= !self.store.reverify_step(&self.verifier, now, left);
        }
        self.refresh_detail();
        more
    }

    fn finish_job(&mut self, job: Job, now: i64) {
        self.notice = Some(match job {
            Job::Keyring(report) => {
                self.keyring_report(report);
                return;
            }
            Job::TestHook(Ok(status)) => Notice {
                text: format!("test hook sent: the listener answered {status}"),
                error: false,
            },
            Job::TestHook(Err(err)) => Notice {
                text: format!("the test hook failed: {err}"),
                error: true,
            },
            Job::Exported(Ok((path, n))) => Notice {
                text: format!("exported {n} events to {}", path.display()),
                error: false,
            },
            Job::Exported(Err(text)) => Notice { text, error: true },
            Job::Opened(path, Ok(loaded)) => {
                self.store.clear();
                self.selected = None;
                self.detail = None;
                let n = loaded.records.len();
                for record in loaded.records {
                    self.store.push(record, &self.verifier, now);
                }
                self.opened_from = Some(path.clone());
                let mut text = format!("opened {n} events from {}", path.display());
                if let Some(problem) = loaded.problems.first() {
                    text.push_str(&format!(
                        "; skipped {} bad line(s), first: {problem}",
                        loaded.problems.len()
                    ));
                }
                Notice {
                    error: !loaded.problems.is_empty(),
                    text,
                }
            }
            Job::Opened(path, Err(err)) => Notice {
                text: format!("could not open {}: {err}", path.display()),
                error: true,
            },
            Job::Replayed { sent, failed, url } => Notice {
                error: !failed.is_empty(),
                text: match failed.first() {
                    None => format!("replayed {sent} event(s) to {url}; each is a new event"),
                    Some(first) => format!(
                        "replayed {sent} event(s) to {url}; {} failed: {first}",
                        failed.len()
                    ),
                },
            },
            Job::Restored(path, result) => {
                self.restore_pending = false;
                if std::mem::take(&mut self.restore_cancelled) {
                    return;
                }
                match result {
                    Ok(loaded) => {
                        let skip = loaded.records.len().saturating_sub(self.store.max());
                        self.store.evicted += skip as u64;
                        self.restoring.extend(loaded.records.into_iter().skip(skip));
                        match loaded.problems.first() {
                            Some(problem) => Notice {
                                text: format!(
                                    "restored the journal, skipping {} bad line(s): {problem}",
                                    loaded.problems.len()
                                ),
                                error: true,
                            },
                            None => return,
                        }
                    }
                    Err(err) => Notice {
                        text: format!("could not restore {}: {err}", path.display()),
                        error: true,
                    },
                }
            }
            Job::Browsed(picked) => {
                if let Some(dialog) = self.dialog.as_mut() {
                    dialog.browsing = false;
                    match picked {
                        Some(path) => dialog.path = path.display().to_string(),
                        None => {
                            return self.inform(
                                "no file chosen (no system file dialog here?): type the path in the field",
                            );
                        }
                    }
                }
                return;
            }
        });
    }

    fn inform(&mut self, text: &str) {
        self.notice = Some(Notice {
            text: text.to_owned(),
            error: false,
        });
    }

    /// Events per second over the last few seconds.
    pub fn rate(&mut self) -> f64 {
        self.rate.per_second(Instant::now())
    }

    /// What to save between runs: never a secret value (remembered values are in
    /// the credential store).
    pub fn settings(&self) -> Settings {
        Settings {
            bind: self.bind_input.clone(),
            secrets: self
                .saved_rows()
                .map(|s| SavedSecret {
                    label: s.label.clone(),
                    encoding: s.encoding,
                    value: None,
                })
                .collect(),
            remember_secret_values: self.remember_secret_values,
            newest_first: self.newest_first,
            test_product: self.test_product.clone(),
        }
    }
}

impl AppState {
    /// The secret rows that are saved between runs (not those from the command line).
    fn saved_rows(&self) -> impl Iterator<Item = &SecretEntry> {
        self.secrets
            .iter()
            .filter(|s| !s.label.starts_with("command line #"))
    }

    /// Sends `values` (or a load of `rows`) to the credential store's worker,
    /// started on first use.
    fn ask_keeper(&mut self, request: impl FnOnce(&crate::credentials::Keeper)) {
        if self.keeper.is_none() {
            let jobs = self.jobs_tx.clone();
            let waker = self.waker.clone();
            match crate::credentials::Keeper::start(move |report| {
                let _ = jobs.send(Job::Keyring(report));
                waker();
            }) {
                Ok(keeper) => self.keeper = Some(keeper),
                Err(err) => {
                    self.keyring = KeyringStatus::Unavailable(format!(
                        "could not start the keyring worker: {err}"
                    ));
                    return;
                }
            }
        }
        if let Some(keeper) = &self.keeper {
            self.keyring = KeyringStatus::Working;
            request(keeper);
        }
    }

    /// Stores the saved rows' values in the credential store, when remembering.
    fn keep_secret_values(&mut self) {
        if !self.remember_secret_values {
            return;
        }
        let values: Vec<Option<String>> = self
            .saved_rows()
            .map(|s| Some(s.value.clone()).filter(|v| !v.is_empty()))
            .collect();
        self.ask_keeper(|keeper| keeper.store(values));
    }

    /// Reads the saved rows' values back from the credential store.
    fn load_secret_values(&mut self, rows: usize) {
        self.ask_keeper(|keeper| keeper.load(rows));
    }

    fn keyring_report(&mut self, report: crate::credentials::Report) {
        use crate::credentials::Report;
        let result = match report {
            Report::Stored(result) => result,
            Report::Loaded(result) => result.map(|values| {
                let first = self.secrets.len() - self.saved_rows().count();
                let mut filled = false;
                for (entry, value) in self.secrets[first..].iter_mut().zip(values) {
                    if let Some(value) = value
                        && entry.value.is_empty()
                    {
                        entry.value = value;
                        filled = true;
                    }
                }
                if filled {
                    self.rebuild_verifier();
                }
            }),
        };
        self.keyring = match result {
            Ok(()) if self.remember_secret_values => KeyringStatus::Kept,
            Ok(()) => KeyringStatus::Idle,
            Err(err) => KeyringStatus::Unavailable(err.to_string()),
        };
    }
}

/// A held record with its token, verification and events decoded again.
pub fn reanalyzed(record: &Record, verifier: &Verifier) -> Record {
    let mut full = record.clone();
    let analysis = crate::token::analyze(
        &record.body_bytes(),
        record.body_truncated,
        &record.headers,
        verifier,
        crate::token::unix_now(),
    );
    full.token = analysis.token;
    full.verification = analysis.verification;
    full.events = analysis.events;
    full
}

fn default_dir() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .filter(|home| home.is_dir())
        .unwrap_or_else(std::env::temp_dir)
}

fn spawn_named(name: &str, work: impl FnOnce() + Send + 'static) {
    if let Err(err) = std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(work)
    {
        log::error!("could not start {name}: {err}");
    }
}
