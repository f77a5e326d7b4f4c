//! Everything the window knows, split along its seams: [`Secrets`], [`Listener`],
//! [`Files`] and [`View`], each owning its fields and handling its own commands, and
//! [`Jobs`] for the work that touches the disk or a socket. [`AppState`] holds them
//! with the event [`Store`], routes each [`Command`] and runs the per-frame [`tick`].
//!
//! [`tick`]: AppState::tick

pub mod files;
pub mod jobs;
pub mod listener;
pub mod secrets;
mod sending;
pub mod startup;
pub mod view;
pub mod workbench;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

pub use files::{FileDialog, FileMode, Files, FilesCommand};
pub use jobs::{Done, Jobs, Waker};
pub use listener::{Listener, ListenerCommand, ListenerStatus, ReplyForm};
pub use secrets::{KeyringStatus, SavedSecret, SecretEntry, Secrets, SecretsCommand};
pub use startup::{Settings, Startup};
pub use view::{BodyView, Detail, Tab, View, ViewCommand};
pub use workbench::{EditorForm, Signing, Target, Workbench, WorkbenchCommand};

use super::store::Store;
use crate::capture::Journal;
use crate::record::Record;
use crate::token::Verifier;

/// Most time a frame spends taking in new events or re-verifying old ones.
pub const FRAME_BUDGET: Duration = Duration::from_millis(4);

/// What a panel asks for; applied by [`AppState::apply`].
#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Secrets(SecretsCommand),
    Listener(ListenerCommand),
    Files(FilesCommand),
    View(ViewCommand),
    Workbench(WorkbenchCommand),
    /// Empty the list and the journal, and forget the delivery health.
    Clear,
    /// Sign a sample hook with the first secret and send it to the listener.
    SendTestHook,
    /// Send the selected event (false) or every shown event (true) again.
    Replay {
        shown: bool,
    },
    Copy(String),
    DismissNotice,
    /// Ask first: `then` runs only when the user says yes.
    Ask {
        question: String,
        yes: String,
        then: Box<Command>,
    },
    /// The question was answered: run its command (true) or drop it.
    Answer(bool),
    /// Leave an opened capture and show the live one again.
    BackToLive,
}

/// A question asked before something that cannot be undone.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub text: String,
    /// The words on the button that goes ahead.
    pub yes: String,
    pub then: Command,
}

/// A message in the status line.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
}

impl Notice {
    /// A message.
    pub fn info(text: impl Into<String>) -> Notice {
        Notice {
            text: text.into(),
            error: false,
        }
    }

    /// A message about something that failed.
    pub fn error(text: impl Into<String>) -> Notice {
        Notice {
            text: text.into(),
            error: true,
        }
    }
}

/// The notice for a job that only reports (a test hook, an export, a replay, a clear).
fn reported_notice(done: Done) -> Option<Notice> {
    Some(match done {
        Done::Cleared(Ok(path)) => {
            Notice::info(format!("cleared; the journal {} is empty", path.display()))
        }
        Done::Cleared(Err(text)) => Notice::error(text),
        Done::TestHook(Ok(status)) => {
            Notice::info(format!("test hook sent: the listener answered {status}"))
        }
        Done::TestHook(Err(err)) => Notice::error(format!("the test hook failed: {err}")),
        Done::Replayed { sent, failed, url } => match failed.first() {
            None => Notice::info(format!(
                "replayed {sent} event(s) to {url}; each is a new event"
            )),
            Some(first) => Notice::error(format!(
                "replayed {sent} event(s) to {url}; {} failed: {first}",
                failed.len()
            )),
        },
        _ => return None,
    })
}

/// The whole state of the window.
pub struct AppState {
    /// The events shown: the live capture, or a capture opened from a file.
    pub store: Store,
    /// The live capture while an opened one is shown; new events keep going here.
    pub live: Option<Store>,
    pub secrets: Secrets,
    // Declared before the journal: the listener must stop before the journal goes.
    pub listener: Listener,
    pub files: Files,
    pub view: View,
    pub workbench: Workbench,
    pub notice: Option<Notice>,
    /// Text for the clipboard, taken by the app this frame.
    pub copied: Option<String>,
    /// A question waiting for its answer.
    pub question: Option<Question>,
    journal: Option<Journal>,
    /// The journal is being opened on a job.
    opening_journal: bool,
    /// A record woke the window and it has not looked yet.
    wake_pending: Arc<std::sync::atomic::AtomicBool>,
    records: Receiver<Record>,
    records_tx: Sender<Record>,
    // Last: joined after everything that may feed it has stopped.
    jobs: Jobs,
}

impl AppState {
    /// A window's state. Opens the journal and reads it back, and, when asked,
    /// binds the listener: all as jobs. `waker` is called from other threads when
    /// there is news (the GUI passes `ctx.request_repaint`).
    pub fn new(startup: Startup, waker: Waker) -> Self {
        let (records_tx, records) = channel();
        let settings = startup.settings;
        let jobs = Jobs::new(waker);
        let mut secrets = Secrets::new(
            &startup.secrets,
            startup.secret_encoding,
            &settings.secrets,
            settings.remember_secret_values,
        );
        secrets.start(&settings.secrets, &jobs);
        let mut state = AppState {
            store: Store::new(startup.max_events),
            live: None,
            secrets,
            listener: Listener::new(startup.listener, settings.bind.clone()),
            files: Files::new(startup.journal.clone()),
            view: View::new(settings.newest_first, settings.test_product.clone()),
            workbench: Workbench::default(),
            notice: None,
            copied: None,
            question: None,
            journal: None,
            opening_journal: false,
            wake_pending: Arc::default(),
            records,
            records_tx,
            jobs,
        };
        state.view.local_time = settings.local_time;
        state.open_journal(startup.journal);
        let saved_exposed = !startup.bind_given
            && state
                .listener
                .address
                .trim()
                .parse::<std::net::SocketAddr>()
                .is_ok_and(|addr| !addr.ip().is_loopback());
        if startup.listen && saved_exposed {
            // A saved address reachable from the network is never bound silently.
            state.listener.status = ListenerStatus::ConfirmExposed {
                addr: state.listener.address.trim().to_owned(),
            };
        } else if startup.listen {
            let verifier = state.secrets.shared();
            state
                .listener
                .start(state.journal.as_ref(), &verifier, &state.jobs);
        }
        if let Some(path) = startup.open {
            state.files.load(path, false, &state.jobs);
        }
        state
    }

    /// Opens the journal on a job (or a sink when there is none) and reads it back.
    fn open_journal(&mut self, path: Option<PathBuf>) {
        let tx = self.records_tx.clone();
        let waker = self.jobs.waker();
        let pending = self.wake_pending.clone();
        // Called on the capture path, once per record: wake the window only when it
        // is not already due to look, so a flood costs one wake per frame, not one
        // per request (each wake takes egui's context lock).
        let subscriber: crate::capture::journal::Subscriber = Box::new(move |record| {
            let _ = tx.send(record);
            if !pending.swap(true, std::sync::atomic::Ordering::AcqRel) {
                waker();
            }
        });
        match path {
            Some(path) => {
                self.files.load(path.clone(), true, &self.jobs);
                self.opening_journal = true;
                self.jobs.spawn("hookscope-journal", move |_| {
                    let journal = Journal::open(&path, Some(subscriber)).map_err(|err| {
                        format!(
                            "could not open the journal {}: {err}; events are not saved",
                            path.display()
                        )
                    });
                    Done::JournalOpened(path, journal)
                });
            }
            None => match Journal::new(Box::new(std::io::sink()), 0, Some(subscriber)) {
                Ok(journal) => self.journal = Some(journal),
                Err(err) => self.notice = Some(Notice::error(err.to_string())),
            },
        }
    }

    /// A sender into the channel the journal feeds: what arrives here is shown
    /// as if it had been captured (tests, and records made by other parts).
    pub fn record_sender(&self) -> Sender<Record> {
        self.records_tx.clone()
    }

    /// The verifier built from the secrets as they are now.
    pub fn verifier(&self) -> &Arc<Verifier> {
        self.secrets.verifier()
    }

    /// The listener's URL while it runs.
    pub fn url(&self) -> Option<&str> {
        self.listener.url()
    }

    /// Routes one command to the part of the state it is about.
    pub fn apply(&mut self, command: Command) {
        match command {
            Command::Secrets(command) => {
                if self.secrets.handle(command, &self.jobs) {
                    self.store.start_reverify();
                }
            }
            Command::Listener(command) => {
                let verifier = self.secrets.shared();
                self.listener.handle(
                    command,
                    self.journal.as_ref(),
                    &verifier,
                    &self.jobs,
                    &mut self.notice,
                );
            }
            Command::Files(command) => {
                let (store, verifier, origin) = (
                    &self.store,
                    self.secrets.verifier().clone(),
                    self.listener.origin(),
                );
                let filtering = store.filter().is_active();
                let export = |only_filtered: bool| {
                    let records = if only_filtered {
                        store
                            .visible()
                            .iter()
                            .filter_map(|seq| store.get(*seq))
                            .map(|e| e.record.clone())
                            .collect()
                    } else {
                        store.entries().map(|e| e.record.clone()).collect()
                    };
                    (records, verifier, origin)
                };
                self.files.handle(command, &self.jobs, export, filtering);
            }
            Command::View(command) => {
                let before = self.store.needle().to_owned();
                self.view.handle(command, &mut self.store);
                if self.store.needle() != before {
                    self.search();
                }
            }
            Command::Workbench(command) => self.workbench(command),
            Command::Clear => self.clear(),
            Command::SendTestHook => self.send_test_hook(),
            Command::Replay { shown } => self.replay(shown),
            Command::Copy(text) => self.copied = Some(text),
            Command::DismissNotice => self.notice = None,
            Command::Ask {
                question,
                yes,
                then,
            } => {
                self.question = Some(Question {
                    text: question,
                    yes,
                    then: *then,
                });
            }
            Command::BackToLive => {
                if let Some(live) = self.live.take() {
                    self.store = live;
                    self.files.opened_from = None;
                    self.view.deselect();
                }
            }
            Command::Answer(yes) => {
                if let Some(question) = self.question.take()
                    && yes
                {
                    self.apply(question.then);
                    return;
                }
            }
        }
        let generation = self.secrets.generation();
        self.view
            .refresh_detail(&self.store, self.secrets.verifier(), generation);
    }

    fn clear(&mut self) {
        self.files.clear_backlog();
        self.store.clear();
        self.view.deselect();
        self.listener.reset_health();
        self.files.clear_journal(&self.jobs);
    }

    /// The per-frame work: take in job results and new events, continue
    /// re-verification. Returns true when more work is waiting (ask for a repaint).
    pub fn tick(&mut self) -> bool {
        let started = Instant::now();
        // From here on, a new record wakes the window again.
        self.wake_pending
            .store(false, std::sync::atomic::Ordering::Release);
        let now = crate::token::unix_now();
        for done in self.jobs.finished() {
            self.finish(done);
        }
        let mut more = false;
        let verifier = self.secrets.verifier().clone();
        while let Some(record) = self.files.backlog.records.pop_front() {
            self.store.push(record, &verifier, now);
            if started.elapsed() >= FRAME_BUDGET {
                more = true;
                break;
            }
        }
        // Live events wait until the journal's older ones are in, so the order holds.
        let waiting = self.files.backlog.loading || !self.files.backlog.records.is_empty();
        let mut arrived = 0;
        // Paused, events wait in the channel (the journal has them already).
        if !waiting && !self.view.paused {
            loop {
                if started.elapsed() >= FRAME_BUDGET {
                    more = true;
                    break;
                }
                match self.records.try_recv() {
                    Ok(record) => {
                        self.listener.count_delivery(record.response.status);
                        match &mut self.live {
                            Some(live) => {
                                live.push(record, &verifier, now);
                            }
                            None => {
                                self.store.push(record, &verifier, now);
                                arrived += 1;
                            }
                        }
                    }
                    Err(_) => break,
                }
            }
        }
        // The first hook in an empty window is selected: its verdict is what the
        // user has been waiting for.
        if arrived > 0
            && arrived == self.store.len()
            && self.view.selected.is_none()
            && let Some(&first) = self.store.visible().front()
        {
            self.view
                .handle(ViewCommand::Select(first), &mut self.store);
        }
        self.view.count_arrivals(arrived);
        self.listener.update_health();
        if self.store.reverifying().is_some() {
            let left = FRAME_BUDGET.saturating_sub(started.elapsed());
            more |= !self.store.reverify_step(&verifier, now, left);
        }
        self.view
            .refresh_detail(&self.store, &verifier, self.secrets.generation());
        self.build_processes();
        more
    }

    /// Searches the held events' bodies, headers and claims for the filter text on
    /// a job (the summaries the list keeps hold only a few fields).
    fn search(&mut self) {
        let needle = self.store.needle().to_owned();
        if needle.is_empty() {
            return;
        }
        self.view.searching = true;
        let events = self.store.snapshot();
        let verifier = self.secrets.verifier().clone();
        self.jobs.spawn("hookscope-search", move |cancel| {
            let now = crate::token::unix_now();
            let mut found = Vec::new();
            for (seq, record) in events {
                if cancel.cancelled() {
                    break;
                }
                let analysis = record.analysis(&verifier, now);
                if super::store::full_text_contains(&record, &analysis, &needle) {
                    found.push(seq);
                }
            }
            Done::Searched(needle, found)
        });
    }

    /// Builds the processes of the shown events on a job, when the tab shows them.
    fn build_processes(&mut self) {
        let (next, held, shown) = self.store.stamp();
        let stamp = (next, held, shown, self.secrets.generation());
        if !self.view.processes_due(stamp) {
            return;
        }
        self.view.processes.building = true;
        let records: Vec<Arc<Record>> = self
            .store
            .visible()
            .iter()
            .filter_map(|seq| self.store.get(*seq))
            .map(|e| e.record.clone())
            .collect();
        let verifier = self.secrets.verifier().clone();
        self.jobs.spawn("hookscope-timeline", move |_| {
            let now = crate::token::unix_now();
            // The store keeps records without their decoded token: decode again.
            let full: Vec<Record> = records.iter().map(|r| r.analyzed(&verifier, now)).collect();
            Done::Timeline(stamp, crate::timeline::build(&full))
        });
    }

    /// Takes in what a job reports.
    fn finish(&mut self, done: Done) {
        let notice = match done {
            Done::JournalOpened(_, Ok(journal)) => {
                self.opening_journal = false;
                let verifier = self.secrets.shared();
                self.listener.journal_ready(&journal, &verifier, &self.jobs);
                self.journal = Some(journal);
                None
            }
            Done::JournalOpened(_, Err(text)) => {
                self.opening_journal = false;
                self.listener.journal_failed();
                Some(Notice::error(text))
            }
            Done::Bound(result) => {
                self.listener.bound(result);
                None
            }
            Done::Loaded {
                path,
                restore,
                result,
            } => {
                if !restore {
                    self.files.dialog_done(
                        result
                            .as_ref()
                            .err()
                            .map(|e| format!("could not open it: {e}")),
                    );
                }
                let (notice, replace, skipped) =
                    self.files.loaded(path, restore, result, self.store.max());
                if replace {
                    // An opened capture is a view of its own: the live one waits aside.
                    let opened = Store::new(self.store.max());
                    let shown = std::mem::replace(&mut self.store, opened);
                    if self.live.is_none() {
                        self.live = Some(shown);
                    }
                    self.view.deselect();
                }
                self.store.evicted += skipped;
                notice
            }
            Done::Browsed(picked) => self.files.browsed(picked),
            Done::Exported(Err(text)) => {
                // Said in the dialog, which stays open to try another path.
                self.files.dialog_done(Some(text));
                None
            }
            Done::Exported(Ok((path, n))) => {
                self.files.dialog_done(None);
                Some(Notice::info(format!(
                    "exported {n} events to {}",
                    path.display()
                )))
            }
            Done::Searched(needle, found) => {
                self.view.searching = needle != self.store.needle();
                self.store.add_found(&needle, found);
                None
            }
            Done::Probed(result) => self.probed(result),
            Done::Timeline(stamp, list) => {
                let processes = &mut self.view.processes;
                processes.list = Arc::new(list);
                processes.built_from = Some(stamp);
                processes.building = false;
                processes.built_at = Some(Instant::now());
                None
            }
            Done::Keyring(report) => {
                if self.secrets.keyring_report(report) {
                    self.store.start_reverify();
                }
                None
            }
            reported => reported_notice(reported),
        };
        if let Some(notice) = notice {
            self.notice = Some(notice);
        }
    }

    fn probed(&mut self, result: Result<crate::probe::Report, String>) -> Option<Notice> {
        let report = match result {
            Ok(report) => report,
            Err(text) => {
                self.workbench.probing = false;
                return Some(Notice::error(text));
            }
        };
        let failed = report.failed().len();
        self.workbench.probed(report);
        Some(if failed == 0 {
            Notice::info("probe: the app accepted the genuine hooks and refused every forgery")
        } else {
            Notice::error(format!(
                "probe: the app failed {failed} required case(s); see Reply & forward"
            ))
        })
    }

    /// What to save between runs: never a secret value (remembered values are in
    /// the credential store).
    pub fn settings(&self) -> Settings {
        Settings {
            bind: self.listener.address.clone(),
            secrets: self.secrets.saved(),
            remember_secret_values: self.secrets.remember,
            newest_first: self.view.newest_first,
            test_product: self.view.test_product.clone(),
            local_time: self.view.local_time,
            // The window's look is the app's to fill in (it lives in egui's context).
            ..Settings::default()
        }
    }

    /// Whether anything runs in the background that a frame should wait for
    /// (a read, a bind, a re-verification): tests step until it is done.
    pub fn busy(&self) -> bool {
        self.opening_journal
            || self.files.backlog.loading
            || !self.files.backlog.records.is_empty()
            || matches!(self.listener.status, ListenerStatus::Starting { .. })
            || self.store.reverifying().is_some()
            || self.view.processes.building
            || self.workbench.probing
            || self.view.searching
    }
}
