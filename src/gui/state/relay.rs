//! The window's relay: *Attach to a relay…* in the top bar follows a relay
//! (`listen --api` on a server). Its records join the list live through the
//! window's journal, verified with the window's secrets as they are, and delivered
//! to the app URL while forwarding is on. The URL and CA file are saved for the next
//! start, the token kept in the system's credential store, never in a file.

use std::path::PathBuf;

use super::{Inbox, Jobs, Notice};
use crate::capture::{Journal, SharedVerifier};
use crate::credentials::Password;
use crate::relay::attach::{Follower, From, Options, State};

/// The relay the window follows between runs.
pub type SavedRelay = super::account::SavedAccount;

/// What the top bar asks: follow this relay (an empty token: the one kept).
pub type RelayAsk = super::account::AccountAsk;

/// The credential store's name for a relay's token.
pub fn account(url: &str) -> String {
    format!("relay {}", url.trim_end_matches('/'))
}

/// A relay to follow once the journal is open.
struct Wanted {
    url: String,
    token: Password,
    ca: Option<PathBuf>,
}

/// The follower, and a warning (the token could not be kept); or why it did not start.
type Started = Result<(Follower, Option<String>), String>;

/// The window's relay.
pub struct Relay {
    pub follower: Option<Follower>,
    /// The relay to save for the next start.
    pub saved: Option<SavedRelay>,
    wanted: Option<Wanted>,
    journal_path: Option<PathBuf>,
    /// Where records go while forwarding is on, as last handed to the follower.
    forward: Option<crate::forward::Target>,
    inbox: Inbox<Started>,
}

impl Relay {
    /// Follows the `saved` relay (its token from the credential store) once the
    /// journal (at `journal_path`) is open.
    pub fn new(saved: Option<SavedRelay>, journal_path: Option<PathBuf>) -> Relay {
        let wanted = saved
            .as_ref()
            .filter(|s| !s.url.is_empty())
            .map(|saved| Wanted {
                url: saved.url.clone(),
                token: Password::Kept,
                ca: (!saved.ca.is_empty()).then(|| PathBuf::from(&saved.ca)),
            });
        Relay {
            follower: None,
            saved,
            wanted,
            journal_path,
            forward: None,
            inbox: Inbox::default(),
        }
    }

    /// Where the follower stands (`None`: no relay is followed).
    pub fn state(&self) -> Option<State> {
        self.follower.as_ref().map(Follower::state)
    }

    /// Follows what `ask` says (`None`: stops following); what to tell the user.
    pub fn set(
        &mut self,
        ask: Option<RelayAsk>,
        journal: Option<&Journal>,
        verifier: &SharedVerifier,
        jobs: &Jobs,
    ) -> Option<Notice> {
        if let Some(follower) = self.follower.take() {
            jobs.run("hookscope-attach-stop", move |_| follower.stop());
        }
        let Some(ask) = ask else {
            self.saved = None;
            return None;
        };
        let url = ask.url.trim().trim_end_matches('/').to_owned();
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Some(Notice::error(format!(
                "{url:?} is no relay URL: give https://HOST[:PORT] (its --api address)"
            )));
        }
        self.saved = Some(SavedRelay {
            url: url.clone(),
            ca: ask.ca.trim().to_owned(),
        });
        let wanted = Wanted {
            url,
            ca: ask.ca_file(),
            token: ask.password(),
        };
        match journal {
            Some(journal) => self.start(wanted, journal.handle(), verifier.clone(), jobs),
            None => self.wanted = Some(wanted),
        }
        None
    }

    /// The journal is open: follow the relay if one was asked for.
    pub fn journal_ready(&mut self, journal: &Journal, verifier: &SharedVerifier, jobs: &Jobs) {
        if let Some(wanted) = self.wanted.take() {
            self.start(wanted, journal.handle(), verifier.clone(), jobs);
        }
    }

    /// Forwarding changed in the window: the follower delivers where it now says.
    pub fn set_forward(&mut self, target: Option<crate::forward::Target>) {
        if self.forward == target {
            return;
        }
        if let Some(follower) = &self.follower {
            follower.set_forward(target.clone());
        }
        self.forward = target;
    }

    /// Reads or keeps the token and starts the follower, on a job.
    fn start(&mut self, wanted: Wanted, journal: Journal, verifier: SharedVerifier, jobs: &Jobs) {
        let path = self.journal_path.clone();
        let forward = self.forward.clone();
        jobs.spawn("hookscope-attach-start", &self.inbox, move |_| {
            let (token, warning) = crate::credentials::resolve(
                &account(&wanted.url),
                wanted.token,
                "the relay's token",
            )
            .map_err(|why| format!("{}: {why}", wanted.url))?;
            let options = Options {
                url: wanted.url,
                token,
                ca: wanted.ca,
                // A relay followed for the first time: what it journals from now on.
                from: From::Now,
                forward: std::sync::Arc::new(std::sync::RwLock::new(forward)),
            };
            let follower = Follower::start(options, verifier, journal, path)
                .map_err(|err| format!("could not follow the relay: {err}"))?;
            Ok((follower, warning))
        });
    }

    /// Takes in what starting reported: the notices to show.
    pub fn take_reports(&mut self) -> Vec<Notice> {
        let mut notices = Vec::new();
        for started in self.inbox.take() {
            match started {
                Ok((follower, warning)) => {
                    // Forwarding may have changed while it started.
                    follower.set_forward(self.forward.clone());
                    self.follower = Some(follower);
                    notices.extend(warning.map(Notice::error));
                }
                Err(text) => notices.push(Notice::error(text)),
            }
        }
        notices
    }
}
