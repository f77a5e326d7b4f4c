//! The window's SMTP sink: started from the command line (for its run), from the
//! status bar's mail menu (saved for the next start), or again at start where it
//! was saved; bound and stopped on jobs, once the journal is open.

use std::net::SocketAddr;
use std::sync::Arc;

use super::{Inbox, Jobs, Notice};
use crate::capture::Journal;
use crate::email::{Dkim, SmtpConfig, SmtpSink};

/// Where the window takes mail.
pub struct Mail {
    /// The sink while it runs.
    pub sink: Option<SmtpSink>,
    /// The sink asked for, bound once the journal is open.
    wanted: Option<SmtpConfig>,
    /// The DNS server for DKIM keys (`--dns`).
    dns: Option<SocketAddr>,
    /// What `STARTTLS` speaks with (`--tls-cert`, `--tls-key`).
    tls: Option<Arc<rustls::ServerConfig>>,
    /// The address to save: started in the window (the command line's is for its
    /// run only).
    pub saved: Option<String>,
    inbox: Inbox<Result<SmtpSink, String>>,
}

impl Mail {
    /// Takes mail as `given` (the command line) says, else where `saved` (the
    /// settings) says, once the journal is open.
    pub fn new(
        given: Option<SmtpConfig>,
        dns: Option<SocketAddr>,
        saved: Option<String>,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> Mail {
        let wanted = given.or_else(|| {
            let bind = saved.as_deref()?.parse().ok()?;
            Some(SmtpConfig {
                bind,
                tls: tls.clone(),
                ..Default::default()
            })
        });
        Mail {
            sink: None,
            wanted,
            dns,
            tls,
            saved,
            inbox: Inbox::default(),
        }
    }

    /// Starts the sink on `address` (`None`: stops it); what to tell the user.
    pub fn set(
        &mut self,
        address: Option<String>,
        journal: Option<&Journal>,
        jobs: &Jobs,
    ) -> Option<Notice> {
        if let Some(sink) = self.sink.take() {
            jobs.run("hookscope-smtp-stop", move |_| sink.stop());
        }
        self.saved = address.clone();
        let address = address?;
        let Ok(bind) = address.trim().parse() else {
            return Some(Notice::error(format!(
                "{:?} is not an address for mail: use HOST:PORT, e.g. 127.0.0.1:2525",
                address.trim()
            )));
        };
        let config = SmtpConfig {
            bind,
            tls: self.tls.clone(),
            ..Default::default()
        };
        match journal {
            Some(journal) => self.bind(config, journal.handle(), jobs),
            None => self.wanted = Some(config),
        }
        None
    }

    /// The DNS server mails' DKIM keys are read from (`--dns`; `None`: the system's).
    pub fn dns(&self) -> Option<SocketAddr> {
        self.dns
    }

    /// The journal is open: bind the sink if one was asked for.
    pub fn journal_ready(&mut self, journal: &Journal, jobs: &Jobs) {
        if let Some(config) = self.wanted.take() {
            self.bind(config, journal.handle(), jobs);
        }
    }

    /// Binds the sink on a job; it reports to the inbox.
    fn bind(&mut self, config: SmtpConfig, journal: Journal, jobs: &Jobs) {
        let dns = self.dns;
        jobs.spawn("hookscope-smtp-bind", &self.inbox, move |_| {
            let bind = config.bind;
            SmtpSink::start(config, journal, Dkim::new(dns))
                .map_err(|err| format!("could not listen for mail on {bind}: {err}"))
        });
    }

    /// Takes in what binding reported: the notices to show.
    pub fn take_reports(&mut self) -> Vec<Notice> {
        let mut notices = Vec::new();
        for bound in self.inbox.take() {
            match bound {
                Ok(sink) => {
                    sink.announce();
                    self.sink = Some(sink);
                }
                Err(text) => notices.push(Notice::error(text)),
            }
        }
        notices
    }
}
