//! Remembered secret values, kept in the operating system's credential store
//! (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows)
//! through the `keyring` crate; never in a file. Every call may block (D-Bus, an
//! unlock prompt), so they run on one worker thread, [`Keeper`], in order.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

/// The service name the values are stored under.
const SERVICE: &str = "hookscope";
/// Secret rows beyond the stored ones that are cleared too, when rows are removed.
const SPARE_SLOTS: usize = 8;

/// Why a value could not be kept or read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("no credential store is reachable ({0})")]
    Unavailable(String),
    #[error("the credential store refused: {0}")]
    Refused(String),
}

fn account(slot: usize) -> String {
    format!("secret #{}", slot + 1)
}

fn entry(slot: usize) -> Result<keyring::Entry, CredentialError> {
    keyring::Entry::new(SERVICE, &account(slot)).map_err(classify)
}

/// keyring's errors never carry the value; they say what went wrong with the store.
fn classify(err: keyring::Error) -> CredentialError {
    match err {
        keyring::Error::NoDefaultStore
        | keyring::Error::NoStorageAccess(_)
        | keyring::Error::PlatformFailure(_) => CredentialError::Unavailable(err.to_string()),
        other => CredentialError::Refused(other.to_string()),
    }
}

/// Reads back the values of the first `count` rows (`None`: nothing stored).
pub fn load(count: usize) -> Result<Vec<Option<String>>, CredentialError> {
    (0..count)
        .map(|slot| match entry(slot)?.get_password() {
            Ok(value) => Ok(Some(value)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(classify(err)),
        })
        .collect()
}

/// Stores each row's value (an empty or missing one is deleted), and deletes the
/// rows after them that an earlier store may have left.
pub fn store(values: &[Option<String>]) -> Result<(), CredentialError> {
    for (slot, value) in values.iter().enumerate() {
        match value.as_deref() {
            Some(value) if !value.is_empty() => {
                entry(slot)?.set_password(value).map_err(classify)?;
            }
            _ => delete(slot)?,
        }
    }
    (values.len()..values.len() + SPARE_SLOTS).try_for_each(delete)
}

fn delete(slot: usize) -> Result<(), CredentialError> {
    match entry(slot)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(err) => Err(classify(err)),
    }
}

/// Reads the password kept under `account` (`None`: nothing kept), e.g. a
/// mailbox's (`imap imaps://USER@HOST:PORT/MAILBOX`). Blocks: call it off the UI thread.
pub fn load_password(account: &str) -> Result<Option<String>, CredentialError> {
    let entry = keyring::Entry::new(SERVICE, account).map_err(classify)?;
    match entry.get_password() {
        Ok(value) => Ok(Some(value)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(err) => Err(classify(err)),
    }
}

/// Keeps `password` under `account`. Blocks: call it off the UI thread.
pub fn store_password(account: &str, password: &str) -> Result<(), CredentialError> {
    keyring::Entry::new(SERVICE, account)
        .map_err(classify)?
        .set_password(password)
        .map_err(classify)
}

/// Where a password (a mailbox's, a relay token) comes from.
pub enum Password {
    /// Typed (or given on the command line): used, and kept when `remember`.
    Given {
        value: zeroize::Zeroizing<String>,
        remember: bool,
    },
    /// Kept in the credential store by an earlier run.
    Kept,
}

/// The password to use for `account`, `what` it is in words: the one given (kept
/// under `account` when asked; a warning when it could not be), or the one kept.
/// Blocks: call it off the UI thread.
pub fn resolve(
    account: &str,
    password: Password,
    what: &str,
) -> Result<(zeroize::Zeroizing<String>, Option<String>), String> {
    match password {
        Password::Given { value, remember } => {
            let warning = remember
                .then(|| store_password(account, &value).err())
                .flatten()
                .map(|err| format!("{what} is used but not remembered: {err}"));
            Ok((value, warning))
        }
        Password::Kept => match load_password(account) {
            Ok(Some(value)) => Ok((zeroize::Zeroizing::new(value), None)),
            Ok(None) => Err(format!("no {what} is kept for this account: type it")),
            Err(err) => Err(format!("{what} could not be read: {err}")),
        },
    }
}

/// What the worker was asked to do.
enum Request {
    Load(usize),
    Store(Vec<Option<String>>),
}

/// What the worker did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    Loaded(Result<Vec<Option<String>>, CredentialError>),
    Stored(Result<(), CredentialError>),
}

/// The credential store's worker thread. Requests run in order; of several stores
/// waiting, only the last is made. Dropping it finishes what was asked and joins.
pub struct Keeper {
    requests: Option<Sender<Request>>,
    thread: Option<JoinHandle<()>>,
}

impl Keeper {
    /// Starts the worker; `report` is called on it after each request.
    pub fn start(report: impl Fn(Report) + Send + 'static) -> std::io::Result<Keeper> {
        let (tx, rx) = channel();
        let thread = std::thread::Builder::new()
            .name("hookscope-keyring".to_owned())
            .spawn(move || serve(&rx, &report))?;
        Ok(Keeper {
            requests: Some(tx),
            thread: Some(thread),
        })
    }

    /// Reads back the first `count` rows; answered with [`Report::Loaded`].
    pub fn load(&self, count: usize) {
        self.send(Request::Load(count));
    }

    /// Stores these rows' values; answered with [`Report::Stored`].
    pub fn store(&self, values: Vec<Option<String>>) {
        self.send(Request::Store(values));
    }

    fn send(&self, request: Request) {
        if let Some(tx) = &self.requests {
            let _ = tx.send(request);
        }
    }
}

fn serve(rx: &Receiver<Request>, report: &dyn Fn(Report)) {
    let mut next = rx.recv().ok();
    while let Some(request) = next.take() {
        match request {
            Request::Load(count) => report(Report::Loaded(load(count))),
            Request::Store(mut values) => {
                // A later store replaces this one; a load waits its turn.
                loop {
                    match rx.try_recv() {
                        Ok(Request::Store(later)) => values = later,
                        Ok(other) => {
                            next = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                report(Report::Stored(store(&values)));
            }
        }
        if next.is_none() {
            next = rx.recv().ok();
        }
    }
}

impl Drop for Keeper {
    fn drop(&mut self) {
        // Closing the channel ends the worker once it has done what was asked.
        self.requests = None;
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            log::error!("the keyring worker panicked");
        }
    }
}
