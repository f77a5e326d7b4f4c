//! The shared secrets a token is checked against: how they are read, decoded and
//! kept out of every log and error message.

use std::fmt;

use base64::Engine as _;
use zeroize::Zeroizing;

use super::mac::Keyed;

/// How the text of a secret turns into key bytes (`--secret-encoding`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum SecretEncoding {
    #[default]
    Utf8,
    Base64,
    Base64url,
}

impl SecretEncoding {
    /// Every encoding, in the order hints try them.
    pub const ALL: [SecretEncoding; 3] = [
        SecretEncoding::Utf8,
        SecretEncoding::Base64,
        SecretEncoding::Base64url,
    ];

    /// The flag value (`utf8`, `base64`, `base64url`).
    pub fn as_str(self) -> &'static str {
        match self {
            SecretEncoding::Utf8 => "utf8",
            SecretEncoding::Base64 => "base64",
            SecretEncoding::Base64url => "base64url",
        }
    }

    /// Decodes the text of a secret; `None` when it is not in this encoding.
    pub fn decode(self, text: &str) -> Option<Vec<u8>> {
        use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
        // Pasted keys come with and without `=` padding; both mean the same bytes.
        let unpadded = text.trim_end_matches('=');
        match self {
            SecretEncoding::Utf8 => Some(text.as_bytes().to_vec()),
            SecretEncoding::Base64 => STANDARD_NO_PAD.decode(unpadded).ok(),
            SecretEncoding::Base64url => URL_SAFE_NO_PAD.decode(unpadded).ok(),
        }
    }
}

impl std::str::FromStr for SecretEncoding {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "utf8" | "utf-8" | "text" => Ok(SecretEncoding::Utf8),
            "base64" => Ok(SecretEncoding::Base64),
            "base64url" => Ok(SecretEncoding::Base64url),
            other => Err(format!(
                "unknown secret encoding {other:?}: expected utf8, base64 or base64url"
            )),
        }
    }
}

/// Why a secret could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("secret #{number} is empty")]
    Empty { number: usize },
    #[error("secret #{number} is not valid {encoding}")]
    Undecodable {
        number: usize,
        encoding: &'static str,
    },
}

/// One secret, ready to verify with. Its `Debug` never shows the value.
#[derive(Clone)]
pub struct Secret {
    /// The text and the key bytes are wiped when the secret goes. (The HMAC states
    /// in `key` are not: the `hmac` crate offers no wiping; no core dump is left
    /// to hold them, see [`crate::private::no_core_dumps`].)
    text: Zeroizing<String>,
    encoding: SecretEncoding,
    bytes: Zeroizing<Vec<u8>>,
    key: Keyed,
    index: usize,
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secret")
            .field("encoding", &self.encoding)
            .field("len", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

impl Secret {
    /// Reads `text` in `encoding`; `index` is 0-based and names the secret in errors,
    /// verdicts and hints (the window's row number, the command line's order).
    pub fn new(text: &str, encoding: SecretEncoding, index: usize) -> Result<Self, SecretError> {
        let number = index + 1;
        if text.is_empty() {
            return Err(SecretError::Empty { number });
        }
        let bytes = Zeroizing::new(encoding.decode(text).ok_or(SecretError::Undecodable {
            number,
            encoding: encoding.as_str(),
        })?);
        if bytes.is_empty() {
            return Err(SecretError::Empty { number });
        }
        let key = Keyed::new(&bytes);
        Ok(Secret {
            text: Zeroizing::new(text.to_owned()),
            encoding,
            bytes,
            key,
            index,
        })
    }

    /// The text as given, for the hints that try other readings of it.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// The 0-based number the secret was given under (`verification.secret`).
    pub fn index(&self) -> usize {
        self.index
    }

    /// True when the text is a public key (PEM or OpenSSH), which is no HMAC secret.
    pub fn looks_like_public_key(&self) -> bool {
        let text = self.text.trim_start();
        text.starts_with("-----BEGIN")
            || ["ssh-rsa ", "ssh-ed25519 ", "ssh-dss ", "ecdsa-sha2-"]
                .iter()
                .any(|prefix| text.starts_with(prefix))
    }

    /// How the text was read.
    pub fn encoding(&self) -> SecretEncoding {
        self.encoding
    }

    /// The key length in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Always false: an empty secret is refused at construction.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    pub(crate) fn key(&self) -> &Keyed {
        &self.key
    }
}

/// A secret file loses one trailing newline (`\n` or `\r\n`), nothing else.
pub fn strip_one_newline(text: &str) -> &str {
    text.strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let secret = Secret::new("hunter2-very-secret", SecretEncoding::Utf8, 0).unwrap();
        let shown = format!("{secret:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("len: 19"), "{shown}");
    }

    #[test]
    fn empty_and_undecodable_secrets_are_refused() {
        assert_eq!(
            Secret::new("", SecretEncoding::Utf8, 2).unwrap_err(),
            SecretError::Empty { number: 3 }
        );
        assert_eq!(
            Secret::new("not base64!", SecretEncoding::Base64, 0).unwrap_err(),
            SecretError::Undecodable {
                number: 1,
                encoding: "base64"
            }
        );
    }

    #[test]
    fn base64_accepts_padding_or_not() {
        assert_eq!(SecretEncoding::Base64.decode("aGk=").unwrap(), b"hi");
        assert_eq!(SecretEncoding::Base64.decode("aGk").unwrap(), b"hi");
        assert_eq!(
            SecretEncoding::Base64url.decode("-_8").unwrap(),
            [0xfb, 0xff]
        );
        assert!(SecretEncoding::Base64.decode("-_8").is_none());
    }

    #[test]
    fn secret_file_loses_exactly_one_newline() {
        assert_eq!(strip_one_newline("abc\n\n"), "abc\n");
        assert_eq!(strip_one_newline("abc\r\n"), "abc");
        assert_eq!(strip_one_newline(" abc "), " abc ");
    }
}
