//! What a window starts with: the options of the command line ([`Startup`]) and
//! the settings saved by the last run ([`Settings`]).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::SavedSecret;
use crate::capture::ListenerConfig;
use crate::segments::Retention;
use crate::token::SecretEncoding;

/// Settings that survive restarts (eframe persistence); never a secret value.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Settings {
    pub bind: String,
    pub secrets: Vec<SavedSecret>,
    pub remember_secret_values: bool,
    pub newest_first: bool,
    pub test_product: String,
    /// The theme chosen in the window (`None`: follow the system).
    pub dark: Option<bool>,
    /// The zoom (Ctrl +, Ctrl -, Ctrl 0).
    pub zoom: f32,
    /// Times in the list in this machine's time zone.
    pub local_time: bool,
    /// How many MiB the window's own journal keeps (`None`: everything).
    pub journal_keep_mib: Option<u64>,
    /// *Reply & forward* as last set in the window (`None`: never changed).
    pub reply: Option<SavedReply>,
    /// Where the window takes mail, as last started in it (`None`: it does not).
    pub smtp: Option<String>,
    /// The mailbox the window follows, as last started in it (its password is in
    /// the credential store).
    pub imap: Option<super::mailbox::SavedImap>,
    /// The relay the window follows, as last attached in it (its token is in the
    /// credential store).
    pub relay: Option<super::relay::SavedRelay>,
}

/// What *Reply & forward* keeps between runs: the reply, the app URL and where
/// replays go. Forwarding itself starts off: a restart never sends hooks to an
/// app on its own.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct SavedReply {
    pub status: u16,
    pub delay_ms: u64,
    pub body: String,
    pub content_type: String,
    pub app_url: String,
    pub replay_url: String,
}

impl Default for SavedReply {
    fn default() -> Self {
        SavedReply {
            status: 200,
            delay_ms: 0,
            body: String::new(),
            content_type: "application/json".to_owned(),
            app_url: "http://127.0.0.1:3000".to_owned(),
            replay_url: String::new(),
        }
    }
}

/// What the window's own journal keeps unless told: 1 GiB.
pub const JOURNAL_KEEP_MIB: u64 = 1024;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bind: crate::capture::DEFAULT_BIND.to_owned(),
            secrets: Vec::new(),
            remember_secret_values: false,
            newest_first: true,
            test_product: "digital_identity".to_owned(),
            dark: None,
            zoom: 1.0,
            local_time: false,
            journal_keep_mib: Some(JOURNAL_KEEP_MIB),
            reply: None,
            smtp: None,
            imap: None,
            relay: None,
        }
    }
}

/// Where the window keeps its journal and how big it may grow in memory.
#[derive(Debug, Clone)]
pub struct Startup {
    pub settings: Settings,
    /// The address was given on the command line (it wins over a saved one, and
    /// is bound without asking even when it is not loopback).
    pub bind_given: bool,
    /// The address to save when the command line gave another for this run only:
    /// what was saved before (or the default). A one-off `--bind` is never saved.
    pub saved_bind: Option<String>,
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
    /// `fdatasync` each group of journaled records before its replies (`--fsync`).
    pub fsync: bool,
    /// The journal's bounds given on the command line (`--keep-size`,
    /// `--keep-days`): they win over the setting for this run.
    pub retention: Option<Retention>,
    /// The reply or the app URL was given on the command line: it is this run's,
    /// and the saved one stays saved.
    pub reply_given: bool,
    /// Take mail too (`--smtp`), checking DKIM keys with the DNS server `dns`.
    pub smtp: Option<crate::email::SmtpConfig>,
    pub dns: Option<std::net::SocketAddr>,
    /// Follow a mailbox too (`--imap`), for this run.
    pub imap: Option<crate::email::ImapConfig>,
}

impl Default for Startup {
    fn default() -> Self {
        Startup {
            settings: Settings::default(),
            bind_given: false,
            saved_bind: None,
            journal: None,
            max_events: 1_000_000,
            listener: ListenerConfig::default(),
            listen: false,
            open: None,
            secrets: Vec::new(),
            secret_encoding: SecretEncoding::Utf8,
            fsync: false,
            retention: None,
            reply_given: false,
            smtp: None,
            dns: None,
            imap: None,
        }
    }
}
