//! The listener as the window runs it: binding (on a job), stopping, the address
//! field, the reply and forward form (applied as it is edited), where replays go,
//! and the delivery health of what senders got.

use std::time::Duration;

use super::Notice;
use super::jobs::{Inbox, Jobs};
use crate::capture::{Capture, Journal, ListenerConfig, Live, ReplyPolicy, SharedVerifier};

/// What the listener controls ask for.
#[derive(Debug, Clone, PartialEq)]
pub enum ListenerCommand {
    /// The address field changed.
    EditAddress(String),
    /// Listen on the address in the field.
    Start,
    Stop,
    /// The reply and forward form changed: it applies at once.
    EditReply(ReplyForm),
    /// Where replays go (empty: the app when forwarding, else this listener).
    EditReplayUrl(String),
}

/// The listener as the top bar shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum ListenerStatus {
    Stopped,
    /// Binding on a job.
    Starting {
        addr: String,
    },
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

/// The *Reply & forward* form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyForm {
    pub status: u16,
    pub delay_ms: u64,
    pub body: String,
    pub content_type: String,
    pub forward_on: bool,
    pub forward_url: String,
}

/// The listener and its form.
pub struct Listener {
    pub status: ListenerStatus,
    pub address: String,
    /// The address to save instead of `address` while the field shows one given on
    /// the command line for this run only.
    pub saved_address: Option<String>,
    pub form: ReplyForm,
    /// Why the form's forward URL is not in use, while it is not.
    pub form_error: Option<String>,
    pub replay_url: String,
    /// While the command line's reply is in use: the saved one, saved again
    /// unless the form is changed in the window.
    pub kept_reply: Option<Option<super::startup::SavedReply>>,
    config: ListenerConfig,
    capture: Option<Capture>,
    /// Start once the journal is open.
    start_when_ready: bool,
    /// The listener's delivery health as of the last tick, for the status bar.
    pub health_now: Option<crate::health::Snapshot>,
    /// What the bind job reports.
    inbox: Inbox<Result<Capture, String>>,
}

impl Listener {
    /// The listener for `config`, its address field showing `address`.
    pub fn new(config: ListenerConfig, address: String) -> Listener {
        let form = ReplyForm {
            status: config.reply.status,
            delay_ms: config.reply.delay.as_millis() as u64,
            body: config.reply.body.clone().unwrap_or_default(),
            content_type: config.reply.content_type.clone(),
            forward_on: config.forward.is_some(),
            forward_url: config.forward.as_ref().map_or_else(
                || "http://127.0.0.1:3000".to_owned(),
                |t| t.base().to_owned(),
            ),
        };
        Listener {
            status: ListenerStatus::Stopped,
            address,
            saved_address: None,
            form,
            form_error: None,
            replay_url: String::new(),
            kept_reply: None,
            config,
            capture: None,
            start_when_ready: false,
            health_now: None,
            inbox: Inbox::default(),
        }
    }

    /// Applies a command.
    pub fn handle(
        &mut self,
        command: ListenerCommand,
        journal: Option<&Journal>,
        verifier: &SharedVerifier,
        jobs: &Jobs,
        notice: &mut Option<Notice>,
    ) {
        match command {
            ListenerCommand::EditAddress(address) => {
                // Typed in the window: this is what is saved from now on.
                self.saved_address = None;
                self.address = address;
            }
            ListenerCommand::Start => self.start(journal, verifier, jobs),
            ListenerCommand::Stop => {
                if let Some(capture) = self.capture.take() {
                    capture.stop();
                }
                self.start_when_ready = false;
                self.status = ListenerStatus::Stopped;
            }
            ListenerCommand::EditReply(form) => {
                self.form = form;
                self.kept_reply = None;
                self.apply_form(notice);
            }
            ListenerCommand::EditReplayUrl(url) => {
                self.replay_url = url;
                self.kept_reply = None;
            }
        }
    }

    /// Starts binding the address in the field; the result comes back to the
    /// listener's inbox ([`Listener::take_reports`]).
    pub fn start(&mut self, journal: Option<&Journal>, verifier: &SharedVerifier, jobs: &Jobs) {
        self.capture = None;
        let bind = match self.address.trim().parse() {
            Ok(bind) => bind,
            Err(_) => {
                self.status = ListenerStatus::Failed(format!(
                    "{:?} is not an address: use HOST:PORT, e.g. 127.0.0.1:8787 (port 0 picks a free one)",
                    self.address.trim()
                ));
                return;
            }
        };
        self.status = ListenerStatus::Starting {
            addr: self.address.trim().to_owned(),
        };
        let Some(journal) = journal else {
            // Bound as soon as the journal is open.
            self.start_when_ready = true;
            return;
        };
        let config = ListenerConfig {
            bind,
            ..self.config.clone()
        };
        let (verifier, journal) = (verifier.clone(), journal.handle());
        jobs.spawn("hookscope-bind", &self.inbox, move |_| {
            Capture::start(config, verifier, journal).map_err(|err| err.to_string())
        });
    }

    /// The journal is open: bind if a start was waiting for it.
    pub fn journal_ready(&mut self, journal: &Journal, verifier: &SharedVerifier, jobs: &Jobs) {
        if std::mem::take(&mut self.start_when_ready) {
            self.start(Some(journal), verifier, jobs);
        }
    }

    /// The journal could not be opened: a waiting start cannot happen.
    pub fn journal_failed(&mut self) {
        if std::mem::take(&mut self.start_when_ready) {
            self.status = ListenerStatus::Failed(
                "the journal is not open, so nothing could be saved".to_owned(),
            );
        }
    }

    /// Takes in what the bind job reported.
    pub fn take_reports(&mut self) {
        for result in self.inbox.take() {
            self.bound(result);
        }
    }

    /// The bind job finished.
    fn bound(&mut self, result: Result<Capture, String>) {
        if !matches!(self.status, ListenerStatus::Starting { .. }) {
            // Stopped while binding: let it go.
            return;
        }
        match result {
            Ok(capture) => {
                // As `listen` does, so scripts driving the window learn the real port.
                capture.announce();
                let exposed = !capture.local_addr().ip().is_loopback();
                self.status = ListenerStatus::Running {
                    url: capture.url(),
                    exposed,
                };
                self.capture = Some(capture);
            }
            Err(err) => self.status = ListenerStatus::Failed(err),
        }
    }

    /// Takes the reply saved by the last run (forwarding stays off).
    pub fn restore(&mut self, saved: &super::startup::SavedReply) {
        self.form.status = saved.status;
        self.form.delay_ms = saved.delay_ms;
        self.form.body = saved.body.clone();
        self.form.content_type = saved.content_type.clone();
        self.form.forward_url = saved.app_url.clone();
        self.replay_url = saved.replay_url.clone();
        self.apply_form(&mut None);
    }

    /// What to save of *Reply & forward*.
    pub fn saved_reply(&self) -> Option<super::startup::SavedReply> {
        if let Some(kept) = &self.kept_reply {
            return kept.clone();
        }
        Some(super::startup::SavedReply {
            status: self.form.status,
            delay_ms: self.form.delay_ms,
            body: self.form.body.clone(),
            content_type: self.form.content_type.clone(),
            app_url: self.form.forward_url.clone(),
            replay_url: self.replay_url.clone(),
        })
    }

    /// Puts the form to use for requests from now on; a forward URL that does not
    /// parse leaves the previous target in place and says why.
    fn apply_form(&mut self, notice: &mut Option<Notice>) {
        // A 1xx is no final answer: hyper would send 500 while the record said 1xx.
        if !(200..=599).contains(&self.form.status) {
            self.form_error = Some(format!(
                "status {} is not a final answer: choose 200 to 599",
                self.form.status
            ));
            return;
        }
        let forward = if self.form.forward_on {
            match crate::forward::Target::parse(
                self.form.forward_url.trim(),
                self.config
                    .forward
                    .as_ref()
                    .map_or(Duration::from_secs(10), |t| t.timeout),
            ) {
                Ok(target) => Some(target),
                Err(text) => {
                    self.form_error = Some(text.to_string());
                    return;
                }
            }
        } else {
            None
        };
        self.form_error = None;
        let reply = ReplyPolicy {
            status: self.form.status,
            delay: Duration::from_millis(self.form.delay_ms),
            body: Some(self.form.body.clone()).filter(|b| !b.is_empty()),
            content_type: self.form.content_type.clone(),
        };
        let changed_forward = self.config.forward != forward;
        self.config.reply = reply.clone();
        self.config.forward = forward.clone();
        if changed_forward {
            *notice = Some(Notice::info(match &forward {
                Some(target) => format!("forwarding to {}; senders get its replies", target.base()),
                None => format!("not forwarding: replying {} to every request", reply.status),
            }));
        }
        if let Some(capture) = &self.capture {
            capture.set_live(Live { reply, forward });
        }
    }

    /// Where requests are forwarded (`None`: forwarding is off).
    pub fn forward(&self) -> Option<crate::forward::Target> {
        self.config.forward.clone()
    }

    /// The listener's URL while it runs.
    pub fn url(&self) -> Option<&str> {
        match &self.status {
            ListenerStatus::Running { url, .. } => Some(url),
            _ => None,
        }
    }

    /// The base URL a "Copy as curl" command sends to.
    pub fn curl_base(&self) -> String {
        self.url().map_or_else(
            || format!("http://{}", crate::capture::DEFAULT_BIND),
            |u| u.trim_end_matches('/').to_owned(),
        )
    }

    /// Where HAR URLs start: the listener's address.
    pub fn origin(&self) -> String {
        self.url().map_or_else(
            || format!("http://{}", self.address.trim()),
            |u| u.trim_end_matches('/').to_owned(),
        )
    }

    /// This listener, for replays sent to it (it records them itself, once).
    pub fn own(&self) -> Option<crate::replay::OwnListener> {
        self.capture
            .as_ref()
            .map(|capture| crate::replay::OwnListener {
                addr: capture.local_addr(),
                mark: capture.mark().to_owned(),
            })
    }

    /// Where a replay goes: the field, else the app when forwarding, else this listener.
    pub fn replay_target(&self) -> String {
        match self.replay_url.trim() {
            "" if self.form.forward_on && !self.form.forward_url.trim().is_empty() => {
                self.form.forward_url.trim().to_owned()
            }
            "" => self.curl_base(),
            url => url.to_owned(),
        }
    }

    /// Reads the delivery health of what senders got from the listener's own
    /// count (the one health counter), for this frame.
    pub fn update_health(&mut self) {
        self.health_now = self
            .capture
            .as_ref()
            .map(Capture::health)
            .filter(|snapshot| snapshot.attempts > 0);
    }

    /// Forgets the delivery health (the list was cleared).
    pub fn reset_health(&mut self) {
        if let Some(capture) = &self.capture {
            capture.reset_health();
        }
        self.health_now = None;
    }
}
