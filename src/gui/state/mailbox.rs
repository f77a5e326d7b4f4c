//! The window's followed mailbox (IMAP): started from the command line (`--imap`,
//! for its run), from the status bar's mail menu (the account saved for the next
//! start, its password in the system's credential store, never in a file), or again
//! at start where it was saved. The credential store and the follower's start run
//! on jobs, once the journal is open.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::{Inbox, Jobs, Notice};
use crate::capture::Journal;
use crate::credentials::Password;
use crate::email::imap::FollowState;
use crate::email::{Dkim, ImapConfig, ImapFollower, ImapUrl};

/// The mailbox the window follows between runs.
pub type SavedImap = super::account::SavedAccount;

/// What the mail menu asks: follow this mailbox (an empty password: the one kept).
pub type ImapAsk = super::account::AccountAsk;

/// The credential store's name for a mailbox's password.
pub fn account(url: &ImapUrl) -> String {
    format!("imap {url}")
}

/// A mailbox to follow once the journal is open.
struct Wanted {
    url: ImapUrl,
    password: Password,
    ca: Option<PathBuf>,
}

/// What starting a follower reported: it, and a warning (the password could not
/// be kept); or why it did not start.
type Started = Result<(ImapFollower, Option<String>), String>;

/// The window's mailbox.
pub struct Mailbox {
    /// The follower while it runs.
    pub follower: Option<ImapFollower>,
    /// The account to save (the command line's is for its run only).
    pub saved: Option<SavedImap>,
    /// The mailbox asked for, as its URL (the command line's or the saved one).
    current: Option<String>,
    wanted: Option<Wanted>,
    dns: Option<SocketAddr>,
    journal_path: Option<PathBuf>,
    inbox: Inbox<Started>,
}

impl Mailbox {
    /// Follows `given` (the command line), else the `saved` account, once the
    /// journal (at `journal_path`) is open.
    pub fn new(
        given: Option<ImapConfig>,
        saved: Option<SavedImap>,
        dns: Option<SocketAddr>,
        journal_path: Option<PathBuf>,
    ) -> Mailbox {
        let wanted = match given {
            Some(config) => Some(Wanted {
                url: config.url,
                password: Password::Given {
                    value: config.password,
                    remember: false,
                },
                ca: config.ca,
            }),
            None => saved.as_ref().and_then(|saved| {
                Some(Wanted {
                    url: saved.url.parse().ok()?,
                    password: Password::Kept,
                    ca: (!saved.ca.is_empty()).then(|| PathBuf::from(&saved.ca)),
                })
            }),
        };
        let current = wanted.as_ref().map(|w| w.url.to_string());
        Mailbox {
            follower: None,
            current,
            saved,
            wanted,
            dns,
            journal_path,
            inbox: Inbox::default(),
        }
    }

    /// Where the follower stands (`None`: no mailbox is followed).
    pub fn state(&self) -> Option<FollowState> {
        self.follower.as_ref().map(ImapFollower::state)
    }

    /// The mailbox followed, as its URL.
    pub fn url(&self) -> Option<&str> {
        self.current.as_deref()
    }

    /// Follows what `ask` says (`None`: stops following); what to tell the user.
    pub fn set(
        &mut self,
        ask: Option<ImapAsk>,
        journal: Option<&Journal>,
        jobs: &Jobs,
    ) -> Option<Notice> {
        if let Some(follower) = self.follower.take() {
            jobs.run("hookscope-imap-stop", move |_| follower.stop());
        }
        let Some(ask) = ask else {
            self.saved = None;
            self.current = None;
            return None;
        };
        let url: ImapUrl = match ask.url.trim().parse() {
            Ok(url) => url,
            Err(why) => return Some(Notice::error(why)),
        };
        self.current = Some(url.to_string());
        self.saved = Some(SavedImap {
            url: url.to_string(),
            ca: ask.ca.trim().to_owned(),
        });
        let wanted = Wanted {
            url,
            ca: ask.ca_file(),
            password: ask.password(),
        };
        match journal {
            Some(journal) => self.start(wanted, journal.handle(), jobs),
            None => self.wanted = Some(wanted),
        }
        None
    }

    /// The journal is open: follow the mailbox if one was asked for.
    pub fn journal_ready(&mut self, journal: &Journal, jobs: &Jobs) {
        if let Some(wanted) = self.wanted.take() {
            self.start(wanted, journal.handle(), jobs);
        }
    }

    /// Reads or keeps the password and starts the follower, on a job.
    fn start(&mut self, wanted: Wanted, journal: Journal, jobs: &Jobs) {
        let dns = self.dns;
        let path = self.journal_path.clone();
        jobs.spawn("hookscope-imap-start", &self.inbox, move |_| {
            let (password, warning) = crate::credentials::resolve(
                &account(&wanted.url),
                wanted.password,
                "the mailbox's password",
            )
            .map_err(|why| format!("{}: {why}", wanted.url))?;
            let config = ImapConfig {
                url: wanted.url,
                password,
                ca: wanted.ca,
                poll: std::time::Duration::from_secs(30),
            };
            let follower = ImapFollower::start(config, journal, path, Dkim::new(dns))
                .map_err(|err| format!("could not follow the mailbox: {err}"))?;
            Ok((follower, warning))
        });
    }

    /// Takes in what starting reported: the notices to show.
    pub fn take_reports(&mut self) -> Vec<Notice> {
        let mut notices = Vec::new();
        for started in self.inbox.take() {
            match started {
                Ok((follower, warning)) => {
                    self.follower = Some(follower);
                    notices.extend(warning.map(Notice::error));
                }
                Err(text) => notices.push(Notice::error(text)),
            }
        }
        notices
    }
}
