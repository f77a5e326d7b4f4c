//! An account the window follows (a mailbox over IMAP, a relay): what its form asks,
//! and what is saved for the next start. Its password or token is never saved: it
//! goes to the system's credential store.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::credentials::Password;

/// What is saved of an account between runs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(default)]
pub struct SavedAccount {
    pub url: String,
    /// A CA file for a private certificate (empty: the system's roots).
    pub ca: String,
}

/// What a form asks: follow this account (an empty secret: the one kept).
#[derive(Clone, PartialEq, Eq)]
pub struct AccountAsk {
    pub url: String,
    pub secret: Zeroizing<String>,
    pub ca: String,
}

impl std::fmt::Debug for AccountAsk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountAsk")
            .field("url", &self.url)
            .field("ca", &self.ca)
            .finish_non_exhaustive()
    }
}

impl AccountAsk {
    /// The secret typed (kept once used), or the one kept by an earlier run.
    pub fn password(self) -> Password {
        if self.secret.is_empty() {
            Password::Kept
        } else {
            Password::Given {
                value: self.secret,
                remember: true,
            }
        }
    }

    /// The CA file, if one was given.
    pub fn ca_file(&self) -> Option<std::path::PathBuf> {
        let ca = self.ca.trim();
        (!ca.is_empty()).then(|| std::path::PathBuf::from(ca))
    }
}
