//! The secrets the window verifies with: the rows as typed, the verifier they make
//! (each secret keeps the number of its row), and remembering their values in the
//! system's credential store.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::jobs::{Inbox, Jobs};
use crate::capture::{SharedVerifier, shared_verifier};
use crate::credentials::{Keeper, Report};
use crate::token::hints::Audience;
use crate::token::{Secret, SecretEncoding, Verifier};

/// What the secrets rows ask for.
#[derive(Debug, Clone, PartialEq)]
pub enum SecretsCommand {
    /// Row `index`'s value, label or encoding changed.
    Edit {
        index: usize,
        label: String,
        value: String,
        encoding: SecretEncoding,
    },
    /// Show (true) or hide row `index`'s value.
    Reveal(usize, bool),
    Add,
    Remove(usize),
    /// Keep secret values in the system's credential store (true) or forget them.
    Remember(bool),
}

/// One secret as the user typed it.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretEntry {
    pub label: String,
    pub value: String,
    pub encoding: SecretEncoding,
    /// Show the value instead of dots.
    pub shown: bool,
    /// Given on the command line: not saved between runs.
    pub from_command_line: bool,
}

impl SecretEntry {
    /// An entry shown as dots.
    pub fn new(label: String, value: String, encoding: SecretEncoding) -> Self {
        SecretEntry {
            label,
            value,
            encoding,
            shown: false,
            from_command_line: false,
        }
    }
}

/// A secret as saved between runs: its label and encoding, never its value.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SavedSecret {
    pub label: String,
    pub encoding: SecretEncoding,
    /// Read from settings an older version wrote in plain text (then moved to the
    /// credential store); never written.
    #[serde(default, skip_serializing)]
    pub value: Option<String>,
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

/// The secrets and what they make.
pub struct Secrets {
    pub entries: Vec<SecretEntry>,
    /// A problem per row (empty, not base64...), by index.
    pub errors: Vec<Option<String>>,
    pub remember: bool,
    pub keyring: KeyringStatus,
    verifier: Arc<Verifier>,
    /// Bumped each time the verifier changes (the detail decodes again).
    generation: u64,
    /// The listener's slot, swapped when the verifier changes.
    shared: SharedVerifier,
    keeper: Option<Keeper>,
    /// What the credential store's worker reports.
    inbox: Inbox<Report>,
}

impl Secrets {
    /// The rows: the command line's first, then the saved ones (values from the
    /// settings only when an older version wrote them there).
    pub fn new(
        from_command_line: &[String],
        encoding: SecretEncoding,
        saved: &[SavedSecret],
        remember: bool,
    ) -> Secrets {
        let mut entries: Vec<SecretEntry> = from_command_line
            .iter()
            .enumerate()
            .map(|(i, value)| SecretEntry {
                from_command_line: true,
                ..SecretEntry::new(format!("command line #{}", i + 1), value.clone(), encoding)
            })
            .collect();
        entries.extend(saved.iter().map(|saved| {
            SecretEntry::new(
                saved.label.clone(),
                saved.value.clone().unwrap_or_default(),
                saved.encoding,
            )
        }));
        if entries.is_empty() {
            entries.push(SecretEntry::new(
                "Truora hook secret".to_owned(),
                String::new(),
                SecretEncoding::Utf8,
            ));
        }
        let mut secrets = Secrets {
            entries,
            errors: Vec::new(),
            remember,
            keyring: KeyringStatus::Idle,
            verifier: Arc::new(Verifier::default()),
            generation: 0,
            shared: shared_verifier(Verifier::default()),
            keeper: None,
            inbox: Inbox::default(),
        };
        secrets.rebuild();
        secrets
    }

    /// Starts reading remembered values back (or moves plain-text ones from old
    /// settings into the store).
    pub fn start(&mut self, saved: &[SavedSecret], jobs: &Jobs) {
        if !self.remember {
            return;
        }
        if saved.iter().any(|s| s.value.is_some()) {
            self.keep(jobs);
        } else {
            let rows = saved.len();
            self.ask_keeper(jobs, |keeper| keeper.load(rows));
        }
    }

    /// The verifier built from the rows as they are now.
    pub fn verifier(&self) -> &Arc<Verifier> {
        &self.verifier
    }

    /// The slot the listener reads the verifier from.
    pub fn shared(&self) -> SharedVerifier {
        self.shared.clone()
    }

    /// Changes each time the verifier does.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Each row's key bytes, `None` for an empty row or one in error.
    pub fn keys(&self) -> Vec<Option<Vec<u8>>> {
        self.entries
            .iter()
            .zip(&self.errors)
            .map(|(entry, error)| {
                (!entry.value.is_empty() && error.is_none())
                    .then(|| entry.encoding.decode(&entry.value))
                    .flatten()
            })
            .collect()
    }

    /// The key bytes of the first usable secret.
    pub fn first_text(&self) -> Option<String> {
        self.entries
            .iter()
            .zip(&self.errors)
            .find(|(entry, error)| !entry.value.is_empty() && error.is_none())
            .map(|(entry, _)| entry.value.clone())
    }

    /// The first usable secret's key.
    pub fn first_key(&self) -> Option<Vec<u8>> {
        self.entries
            .iter()
            .zip(&self.errors)
            .find(|(entry, error)| !entry.value.is_empty() && error.is_none())
            .and_then(|(entry, _)| entry.encoding.decode(&entry.value))
    }

    /// Applies a command; true when the verifier changed (held events are verified again).
    pub fn handle(&mut self, command: SecretsCommand, jobs: &Jobs) -> bool {
        match command {
            SecretsCommand::Edit {
                index,
                label,
                value,
                encoding,
            } => {
                let Some(entry) = self.entries.get_mut(index) else {
                    return false;
                };
                let key_changed = entry.value != value || entry.encoding != encoding;
                entry.label = label;
                entry.value = value;
                entry.encoding = encoding;
                if key_changed {
                    self.rebuild();
                }
                self.keep(jobs);
                key_changed
            }
            SecretsCommand::Reveal(index, shown) => {
                if let Some(entry) = self.entries.get_mut(index) {
                    entry.shown = shown;
                }
                false
            }
            SecretsCommand::Add => {
                let label = format!("secret #{}", self.entries.len() + 1);
                self.entries
                    .push(SecretEntry::new(label, String::new(), SecretEncoding::Utf8));
                self.rebuild();
                true
            }
            SecretsCommand::Remove(index) => {
                if index >= self.entries.len() || self.entries.len() == 1 {
                    return false;
                }
                self.entries.remove(index);
                self.rebuild();
                self.keep(jobs);
                true
            }
            SecretsCommand::Remember(on) => {
                self.remember = on;
                if on {
                    self.keep(jobs);
                } else {
                    // Forget what was kept: every row's value is deleted.
                    let rows = self.saved_rows().count();
                    self.ask_keeper(jobs, |keeper| keeper.store(vec![None; rows]));
                }
                false
            }
        }
    }

    /// Builds the verifier from the rows (skipping the ones in error, each secret
    /// numbered by its row) and hands it to the listener.
    fn rebuild(&mut self) {
        let mut secrets = Vec::new();
        let mut unreadable = Vec::new();
        self.errors = self
            .entries
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
                    Err(err) => {
                        unreadable.push(crate::token::verify::Unreadable {
                            index,
                            text: zeroize::Zeroizing::new(entry.value.clone()),
                            encoding: entry.encoding,
                        });
                        Some(err.to_string())
                    }
                }
            })
            .collect();
        self.verifier = Arc::new(
            Verifier::new(secrets)
                .for_audience(Audience::Window)
                .with_unreadable(unreadable),
        );
        self.generation += 1;
        if let Ok(mut slot) = self.shared.write() {
            *slot = self.verifier.clone();
        }
    }

    /// The rows saved between runs (not those from the command line).
    pub fn saved_rows(&self) -> impl Iterator<Item = &SecretEntry> {
        self.entries.iter().filter(|s| !s.from_command_line)
    }

    /// What the settings keep of the rows: labels and encodings.
    pub fn saved(&self) -> Vec<SavedSecret> {
        self.saved_rows()
            .map(|s| SavedSecret {
                label: s.label.clone(),
                encoding: s.encoding,
                value: None,
            })
            .collect()
    }

    /// Sends a request to the credential store's worker, started on first use.
    fn ask_keeper(&mut self, jobs: &Jobs, request: impl FnOnce(&Keeper)) {
        if self.keeper.is_none() {
            let report = jobs.reporter(&self.inbox);
            match Keeper::start(report) {
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
    fn keep(&mut self, jobs: &Jobs) {
        if !self.remember {
            return;
        }
        let values: Vec<Option<String>> = self
            .saved_rows()
            .map(|s| Some(s.value.clone()).filter(|v| !v.is_empty()))
            .collect();
        self.ask_keeper(jobs, |keeper| keeper.store(values));
    }

    /// What the credential store answered; true when values came back (the
    /// verifier changed).
    /// Takes in what the credential store reported; true when a secret came back
    /// from it (the events are then verified again).
    pub fn take_reports(&mut self) -> bool {
        let mut filled = false;
        for report in self.inbox.take() {
            filled |= self.keyring_report(report);
        }
        filled
    }

    fn keyring_report(&mut self, report: Report) -> bool {
        let mut filled = false;
        let result = match report {
            Report::Stored(result) => result,
            Report::Loaded(result) => result.map(|values| {
                let first = self.entries.len() - self.saved_rows().count();
                for (entry, value) in self.entries[first..].iter_mut().zip(values) {
                    if let Some(value) = value
                        && entry.value.is_empty()
                    {
                        entry.value = value;
                        filled = true;
                    }
                }
            }),
        };
        if filled {
            self.rebuild();
        }
        self.keyring = match result {
            Ok(()) if self.remember => KeyringStatus::Kept,
            Ok(()) => KeyringStatus::Idle,
            Err(err) => {
                // The library's own words go to the log; the window says what to do.
                log::warn!("{err}");
                // Not remembered, so not saved as if it were.
                self.remember = false;
                KeyringStatus::Unavailable(
                    match err {
                        crate::credentials::CredentialError::Unavailable(_) => {
                            "no credential store answers (on Linux, a Secret Service such as GNOME Keyring or KWallet must be running and unlocked)"
                        }
                        crate::credentials::CredentialError::Refused(_) => {
                            "the credential store refused (it may be locked, or deny this app)"
                        }
                    }
                    .to_owned(),
                )
            }
        };
        filled
    }
}
