//! Everything the window knows, split along its seams: [`Secrets`], [`Listener`],
//! [`Files`] and [`View`], each owning its fields and handling its own commands, and
//! [`Jobs`] for the work that touches the disk or a socket, whose results go to the
//! [`Inbox`] of the part that asked. [`AppState`] holds them with the event [`Store`],
//! routes each [`Command`] and runs the per-frame [`tick`], where each part takes its
//! own results in.
//!
//! [`tick`]: AppState::tick

pub mod account;
pub mod command;
pub mod files;
mod held;
pub mod ingest;
pub mod jobs;
pub mod listener;
pub mod mail;
pub mod mailbox;
pub mod notice;
pub mod relay;
pub mod secrets;
pub mod sending;
pub mod startup;
pub mod view;
pub mod workbench;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use command::{Command, Question};
pub use files::{FileDialog, FileMode, Files, FilesCommand};
pub use ingest::RecordSender;
pub use jobs::{Inbox, Jobs, Waker};
pub use listener::{Listener, ListenerCommand, ListenerStatus, ReplyForm};
pub use mail::Mail;
pub use mailbox::{ImapAsk, Mailbox};
pub use notice::Notice;
pub use relay::{Relay, RelayAsk};
pub use secrets::{KeyringStatus, SavedSecret, SecretEntry, Secrets, SecretsCommand};
pub use startup::{SavedReply, Settings, Startup};
pub use view::{BodyView, Detail, Tab, View, ViewCommand};
pub use workbench::{EditorForm, Signing, Target, Workbench, WorkbenchCommand};

use super::pace::FRAME_BUDGET;
use crate::capture::Journal;
use crate::events::{Lines, Store};
use crate::token::Verifier;
use ingest::Ingest;

/// The whole state of the window.
pub struct AppState {
    /// The events shown: the live capture, or a capture opened from a file.
    pub store: Store,
    /// The live capture while an opened one is shown; new events keep going here.
    pub live: Option<Store>,
    /// The live capture's selection while an opened one is shown.
    live_selected: Option<u64>,
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
    /// The journal file, read by offset for the events' records.
    journal_lines: Option<Arc<Lines>>,
    /// The journal is being opened on a job.
    opening_journal: bool,
    /// Captured events on their way in, worked out on a job.
    ingest: Ingest,
    /// What the journal's opening reports.
    journal_inbox: Inbox<Result<(Journal, Arc<Lines>), String>>,
    /// What test hooks and replays report.
    sent: Inbox<sending::Report>,
    /// Where mail is taken (`--smtp`, the status bar's mail menu).
    pub mail: Mail,
    /// Where the window follows a mailbox (IMAP).
    pub mailbox: Mailbox,
    /// The relay the window follows.
    pub relay: Relay,
    /// When the window started: the restore says how long it took.
    started: Instant,
    // Last: joined after everything that may feed it has stopped.
    jobs: Jobs,
}

impl AppState {
    /// A window's state. Opens the journal and reads it back, and, when asked,
    /// binds the listener: all as jobs. `waker` is called from other threads when
    /// there is news (the GUI passes `ctx.request_repaint`).
    pub fn new(startup: Startup, waker: Waker) -> Self {
        let settings = startup.settings;
        let jobs = Jobs::new(waker);
        let mut secrets = Secrets::new(
            &startup.secrets,
            startup.secret_encoding,
            &settings.secrets,
            settings.remember_secret_values,
        );
        secrets.start(&settings.secrets, &jobs);
        let ingest = Ingest::start(&jobs, secrets.shared());
        let tls = startup.listener.tls.clone();
        let mut state = AppState {
            store: Store::new(startup.max_events),
            live: None,
            live_selected: None,
            secrets,
            listener: Listener::new(startup.listener, settings.bind.clone()),
            files: Files::new(startup.journal.clone()),
            view: View::new(settings.newest_first, settings.test_product.clone()),
            workbench: Workbench::default(),
            notice: None,
            copied: None,
            question: None,
            journal: None,
            journal_lines: None,
            opening_journal: false,
            ingest,
            journal_inbox: Inbox::default(),
            sent: Inbox::default(),
            mail: Mail::new(
                startup.smtp.clone(),
                startup.dns,
                settings.smtp.clone(),
                tls,
            ),
            mailbox: Mailbox::new(
                startup.imap.clone(),
                settings.imap.clone(),
                startup.dns,
                startup.journal.clone(),
            ),
            relay: Relay::new(settings.relay.clone(), startup.journal.clone()),
            started: Instant::now(),
            jobs,
        };
        state.view.list.local_time = settings.local_time;
        state.files.keep_mib = settings.journal_keep_mib;
        state.files.keep_given = startup.retention;
        state.listener.saved_address = startup.saved_bind.clone();
        if startup.reply_given {
            state.listener.kept_reply = Some(settings.reply.clone());
        } else if let Some(saved) = &settings.reply {
            state.listener.restore(saved);
        }
        state.open_journal(startup.journal, startup.fsync);
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
            state.load(path, false);
        }
        state
    }

    /// Reads a capture file on a job: the journal at start (`restore`) or one opened.
    fn load(&mut self, path: PathBuf, restore: bool) {
        let verifier = self.secrets.verifier().clone();
        self.files
            .load(path, restore, &self.jobs, verifier, self.store.max());
    }

    /// The store new events go to: the shown one, or the live one set aside while
    /// an opened capture is shown.
    fn live_store(&mut self) -> &mut Store {
        self.live.as_mut().unwrap_or(&mut self.store)
    }

    /// Opens the journal on a job (or a sink when there is none) and reads it back.
    fn open_journal(&mut self, path: Option<PathBuf>, fsync: bool) {
        let subscriber = self.ingest.subscriber();
        let retention = self.files.retention();
        match path {
            Some(path) => {
                self.load(path.clone(), true);
                self.opening_journal = true;
                self.jobs
                    .spawn("hookscope-journal", &self.journal_inbox, move |_| {
                        let opened = Journal::open(&path, Some(subscriber))
                            .map(|journal| journal.syncing(fsync).retaining(retention))
                            .and_then(|journal| Ok((journal, Lines::open(&path)?)));
                        opened.map_err(|err| {
                            format!(
                                "could not open the journal {}: {err}; events are not saved",
                                path.display()
                            )
                        })
                    });
            }
            None => match Journal::new(Box::new(std::io::sink()), 0, Some(subscriber)) {
                Ok(journal) => self.journal = Some(journal),
                Err(err) => self.notice = Some(Notice::error(err.to_string())),
            },
        }
    }

    /// Sends records into the window as if they had been captured (tests, and
    /// records made by other parts).
    pub fn record_sender(&self) -> RecordSender {
        self.ingest.sender()
    }

    /// The journal, once open: what the listener commits to (benches commit
    /// records straight to it).
    pub fn journal(&self) -> Option<&Journal> {
        self.journal.as_ref()
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
                    self.reverify();
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
                let store = &self.store;
                let cx = files::Context {
                    jobs: &self.jobs,
                    verifier: self.secrets.verifier().clone(),
                    max: store.max(),
                    origin: self.listener.origin(),
                    filtering: store.filter().is_active(),
                };
                let locate = |which| match which {
                    files::Which::One(seq) => store.locate([seq]),
                    files::Which::Shown => store.locate_visible(),
                    files::Which::All => store.locate_all(),
                };
                self.files.handle(command, cx, locate);
            }
            Command::View(command) => {
                let before = self.store.needle().to_owned();
                self.view.handle(command, &mut self.store);
                if self.store.needle() != before {
                    if let Some(search) = self.view.searching.take() {
                        // The text changed: a search for the old one is of no use.
                        search
                            .stop
                            .store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                    // Started now, so the window is busy with it from this frame on.
                    self.search();
                }
            }
            Command::Workbench(command) => self.workbench(command),
            Command::Clear => self.clear(),
            Command::SendTestHook => self.send_test_hook(),
            Command::Replay { shown } => self.replay(shown),
            Command::Copy(text) => self.copied = Some(text),
            Command::CopyCurl(seq) => match self.store.record(seq) {
                // One line read by offset, as a selection reads it.
                Ok(record) => {
                    self.copied = Some(crate::curl::command(&record, &self.listener.curl_base()));
                }
                Err(err) => self.notice = Some(Notice::error(err)),
            },
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
            Command::VerifyAgain => self.reverify(),
            Command::Relay(ask) => {
                let verifier = self.secrets.shared();
                if let Some(notice) =
                    self.relay
                        .set(ask, self.journal.as_ref(), &verifier, &self.jobs)
                {
                    self.notice = Some(notice);
                }
            }
            Command::Imap(ask) => {
                if let Some(notice) = self.mailbox.set(ask, self.journal.as_ref(), &self.jobs) {
                    self.notice = Some(notice);
                }
            }
            Command::Smtp(address) => {
                if let Some(notice) = self.mail.set(address, self.journal.as_ref(), &self.jobs) {
                    self.notice = Some(notice);
                }
            }
            Command::KeepJournal(mib) => {
                self.files.keep_mib = mib;
                if let Some(journal) = self.journal.clone() {
                    let retention = self.files.retention();
                    // Deleting old segments touches the disk: on a job.
                    self.jobs.run("hookscope-retention", move |_| {
                        journal.set_retention(retention);
                    });
                }
            }
            Command::BackToLive => {
                if let Some(live) = self.live.take() {
                    self.store = live;
                    self.files.opened_from = None;
                    let selected = self.live_selected.take();
                    self.view.selection.restore(selected, &self.store);
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
            .selection
            .refresh(&self.store, self.secrets.verifier(), generation);
    }

    fn clear(&mut self) {
        self.files.clear_loading();
        self.store.clear();
        self.ingest.forget_shapes();
        self.view.deselect();
        self.listener.reset_health();
        self.files
            .clear_journal(&self.jobs, self.journal.as_ref().map(Journal::handle));
    }

    /// The per-frame work: take in job results and new events, start the work
    /// they call for. Returns true when more work is waiting (ask for a repaint).
    pub fn tick(&mut self) -> bool {
        self.tick_within(FRAME_BUDGET)
    }

    /// [`tick`](Self::tick), filing new events for at most `budget`.
    pub fn tick_within(&mut self, budget: Duration) -> bool {
        let started = Instant::now();
        // From here on, a new event wakes the window again.
        self.ingest.looking();
        self.take_reports();
        let mut more = false;
        let mut arrived = 0;
        // Live events wait while a capture is read, so the order holds; paused,
        // they wait too (the journal has them already).
        if self.files.loading.is_none() && !self.view.list.paused {
            loop {
                if started.elapsed() >= budget {
                    more = true;
                    break;
                }
                let Ok(group) = self.ingest.ready.try_recv() else {
                    break;
                };
                self.ingest.filed(group.len());
                for ingested in group {
                    match &mut self.live {
                        Some(live) => {
                            live.push_ingested(ingested);
                        }
                        None => {
                            self.store.push_ingested(ingested);
                            arrived += 1;
                        }
                    }
                }
            }
        }
        // The first hook in an empty window is selected: its verdict is what the
        // user has been waiting for.
        if arrived > 0
            && arrived == self.store.len()
            && self.view.selection.selected.is_none()
            && let Some(&first) = self.store.visible().front()
        {
            self.view.selection.select_first(first);
        }
        self.view.count_arrivals(arrived);
        // A notice says what just happened: it goes once it is old news.
        if self.notice.as_ref().is_some_and(Notice::expired) {
            self.notice = None;
        }
        self.listener.update_health();
        // Records followed from a relay go where forwarding says, as it says now.
        self.relay.set_forward(self.listener.forward());
        // A finished re-verification's verdicts, within what is left of the budget.
        let left = budget.saturating_sub(started.elapsed());
        more |= !self.store.take_verdicts(left);
        self.search();
        let verifier = self.secrets.verifier().clone();
        self.view
            .selection
            .refresh(&self.store, &verifier, self.secrets.generation());
        self.build_processes();
        more
    }

    /// Takes in what the jobs reported: each part takes in its own.
    fn take_reports(&mut self) {
        let mut notices = Vec::new();
        for opened in self.journal_inbox.take() {
            self.opening_journal = false;
            match opened {
                Ok((journal, lines)) => {
                    let verifier = self.secrets.shared();
                    self.listener.journal_ready(&journal, &verifier, &self.jobs);
                    self.mail.journal_ready(&journal, &self.jobs);
                    self.mailbox.journal_ready(&journal, &self.jobs);
                    self.relay.journal_ready(&journal, &verifier, &self.jobs);
                    self.journal = Some(journal);
                    self.live_store().set_lines(Some(lines.clone()));
                    self.journal_lines = Some(lines);
                }
                Err(text) => {
                    self.listener.journal_failed();
                    notices.push(Notice::error(text));
                }
            }
        }
        if let Some(journal) = &self.journal {
            notices.extend(journal.take_said().into_iter().map(Notice::error));
        }
        notices.extend(self.mail.take_reports());
        notices.extend(self.mailbox.take_reports());
        notices.extend(self.relay.take_reports());
        self.listener.take_reports();
        let (files_notices, read) = self.files.take_reports();
        notices.extend(files_notices);
        for (store, restore) in read {
            self.take_store(store, restore);
        }
        self.view.take_reports(&mut self.store);
        notices.extend(self.sent.take().into_iter().map(sending::Report::notice));
        notices.extend(self.workbench.take_reports());
        if self.secrets.take_reports() {
            self.reverify();
        }
        if let Some(notice) = notices.pop() {
            self.notice = Some(notice);
        }
    }

    /// A store read from a file: the journal's events (`restore`), or a capture
    /// opened, shown as a view of its own while the live one waits aside.
    fn take_store(&mut self, mut opened: Store, restore: bool) {
        opened.set_filter(self.store.filter().clone());
        if restore {
            // One line for scripts (and the restore bench): the window is ready.
            eprintln!(
                "restored {} events in {:.2} s",
                opened.len() as u64 + opened.evicted,
                self.started.elapsed().as_secs_f64()
            );
            if opened.lines().is_none() {
                opened.set_lines(self.journal_lines.clone());
            }
            *self.live_store() = opened;
            self.ingest.forget_shapes();
        } else {
            let shown = std::mem::replace(&mut self.store, opened);
            if self.live.is_none() {
                self.live = Some(shown);
                // Selected again at *Back to live*.
                let selection = &self.view.selection;
                self.live_selected = selection.selected.or(selection.hidden);
            }
            self.view.deselect();
        }
    }

    /// What to save between runs: never a secret value (remembered values are in
    /// the credential store).
    pub fn settings(&self) -> Settings {
        Settings {
            bind: self
                .listener
                .saved_address
                .clone()
                .unwrap_or_else(|| self.listener.address.clone()),
            secrets: self.secrets.saved(),
            remember_secret_values: self.secrets.remember,
            newest_first: self.view.list.newest_first,
            test_product: self.view.list.test_product.clone(),
            local_time: self.view.list.local_time,
            journal_keep_mib: self.files.keep_mib,
            reply: self.listener.saved_reply(),
            smtp: self.mail.saved.clone(),
            imap: self.mailbox.saved.clone(),
            relay: self.relay.saved.clone(),
            // The window's look is the app's to fill in (it lives in egui's context).
            ..Settings::default()
        }
    }

    /// Whether anything runs in the background that a frame should wait for
    /// (a read, a bind, a re-verification): tests step until it is done.
    pub fn busy(&self) -> bool {
        self.opening_journal
            || self.files.loading.is_some()
            || matches!(self.listener.status, ListenerStatus::Starting { .. })
            || self.store.reverifying().is_some()
            || self.view.processes.building
            || self.workbench.probing
            || self.view.searching.is_some()
    }

    /// True when nothing is on its way: no background work ([`AppState::busy`]),
    /// every event sent in worked out and filed (or waiting on purpose while paused
    /// or a capture is read), and no search due. Tests step until this holds.
    pub fn settled(&self) -> bool {
        let waiting_on_purpose = self.view.list.paused || self.files.loading.is_some();
        !self.busy()
            && self.ingest.queued() == 0
            && (self.ingest.unfiled() == 0 || waiting_on_purpose)
            && !self.store.search_due()
    }
}
