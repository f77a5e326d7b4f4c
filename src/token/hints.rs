//! Plain advice for the mistakes people make with webhook secrets and tokens,
//! most of all for a developer stuck on `invalid`. Hints name what the user can
//! change where they are: the window's controls, or the command line's flags.

use jsonwebtoken::Algorithm;

use super::mac::hash_len;
use super::secret::{Secret, SecretEncoding};

/// Who reads the hints: they name the window's controls or the command line's flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Audience {
    #[default]
    CommandLine,
    Window,
}

/// The token arrived with whitespace around it.
pub const TOKEN_WHITESPACE: &str = "the token came with whitespace around it; hookscope removed it before verifying, but a strict receiver may not";
/// A segment carries `=` padding.
pub const PADDED_SEGMENTS: &str =
    "JWT segments are base64url without '=' padding; the sender is padding them";
/// `alg: none` is an unsigned token.
pub const ALG_NONE: &str = "alg \"none\" means the token is not signed at all; anyone could have made it, so it is never accepted";
/// The header names extensions (`crit`) that must be understood to accept the token.
pub const CRIT: &str = "the header carries \"crit\": RFC 7515 §4.1.11 says a receiver that does not understand every listed extension must refuse the token (\"b64\": false means the payload is not even base64url); Truora's hooks never use it";
/// `exp` or `nbf` is not a number.
pub const TIME_NOT_NUMERIC: &str = "\"exp\" or \"nbf\" is present but not a number: RFC 7519 wants a NumericDate (seconds since 1970 as a JSON number), so libraries refuse or ignore such a token";
/// The body is compressed.
pub const COMPRESSED: &str = "the body is compressed (Content-Encoding); hookscope does not decompress it, so a token inside is not found; have the sender post the token uncompressed";
/// A UTF-8 byte-order mark before the token.
pub const BOM: &str = "the body starts with a UTF-8 byte-order mark (EF BB BF) before the token; most JWT libraries then fail: have the sender write UTF-8 without a BOM";
/// The token sent as a JSON string literal.
pub const JSON_STRING: &str = "the body is a JSON string (\"eyJ...\" in quotes) rather than the bare token; the sender JSON-encoded the token: post it as is (application/jwt), or in an object field";

impl Audience {
    /// How to pick another encoding for a secret.
    fn choose_encoding(self, encoding: SecretEncoding) -> String {
        match self {
            Audience::CommandLine => format!("--secret-encoding {}", encoding.as_str()),
            Audience::Window => format!(
                "choose {} in the secret's encoding drop-down",
                encoding.as_str()
            ),
        }
    }

    /// How to drop whitespace from a secret.
    fn trim_secret(self) -> &'static str {
        match self {
            Audience::CommandLine => {
                "pass it without it (a --secret-file loses only one trailing newline)"
            }
            Audience::Window => "delete it in the secret field",
        }
    }
}

/// Hints for a token that verified: only the weak-key warning applies.
pub fn for_valid(secret: &Secret, alg: Algorithm) -> Vec<String> {
    short_key(secret, alg).into_iter().collect()
}

/// Hints for a well-formed HMAC token that no secret verifies: which other reading
/// of a secret would have verified it, which secrets are too short or are public keys.
pub fn for_invalid(
    secrets: &[Secret],
    verifies: impl Fn(&[u8]) -> bool,
    alg: Algorithm,
    audience: Audience,
) -> Vec<String> {
    let mut hints = Vec::new();
    let try_bytes = |bytes: &[u8]| !bytes.is_empty() && verifies(bytes);
    for secret in secrets {
        let number = secret.index() + 1;
        let text = secret.text();
        let trimmed = text.trim();
        if trimmed.len() != text.len()
            && secret
                .encoding()
                .decode(trimmed)
                .is_some_and(|bytes| try_bytes(&bytes))
        {
            hints.push(format!(
                "secret #{number} has whitespace around it (a stray space or newline from pasting); it verifies once trimmed: {}",
                audience.trim_secret()
            ));
            continue;
        }
        let other_reading = SecretEncoding::ALL
            .into_iter()
            .filter(|encoding| *encoding != secret.encoding())
            .find(|encoding| {
                encoding
                    .decode(trimmed)
                    .is_some_and(|bytes| try_bytes(&bytes))
            });
        if let Some(encoding) = other_reading {
            let reading = match encoding {
                SecretEncoding::Utf8 => "as plain text",
                SecretEncoding::Base64 => "as base64",
                SecretEncoding::Base64url => "as base64url",
            };
            hints.push(format!(
                "secret #{number} verifies the token when read {reading} ({})",
                audience.choose_encoding(encoding)
            ));
            continue;
        }
        if let Some(hint) = public_key(secret) {
            hints.push(hint);
            continue;
        }
        hints.extend(short_key(secret, alg));
    }
    if hints.is_empty() {
        hints.push(
            "check that the secret is the one of this hook's subscription, and that nothing between the sender and here re-encoded the body"
                .to_owned(),
        );
    }
    hints
}

/// Secrets that could not be read in their encoding, so were never tried: the one
/// that another reading makes verify the token, named with the reading to choose.
pub fn unreadable(
    unreadable: &[super::verify::Unreadable],
    verifies: impl Fn(&[u8]) -> bool,
    audience: Audience,
) -> Vec<String> {
    unreadable
        .iter()
        .filter_map(|secret| {
            let reading = SecretEncoding::ALL
                .into_iter()
                .filter(|encoding| *encoding != secret.encoding)
                .find(|encoding| {
                    encoding
                        .decode(secret.text.trim())
                        .is_some_and(|bytes| !bytes.is_empty() && verifies(&bytes))
                })?;
            let words = match reading {
                SecretEncoding::Utf8 => "as plain text",
                SecretEncoding::Base64 => "as base64",
                SecretEncoding::Base64url => "as base64url",
            };
            Some(format!(
                "secret #{} is not valid {}, so it was not tried; read {words} it verifies the token ({})",
                secret.index + 1,
                secret.encoding.as_str(),
                audience.choose_encoding(reading)
            ))
        })
        .collect()
}

/// A secret that is a public key (PEM, OpenSSH): an RSA or EC key is no HMAC secret.
pub fn public_key(secret: &Secret) -> Option<String> {
    secret.looks_like_public_key().then(|| {
        format!(
            "secret #{} looks like a public key (PEM or SSH); Truora signs hooks with HMAC and a shared secret, not with RSA or EC keys: use the hook's secret",
            secret.index() + 1
        )
    })
}

/// The payload is not JSON, yet a secret's MAC matches: the sender signed other bytes.
pub fn signed_non_json(secret: &Secret) -> String {
    format!(
        "the signature matches secret #{}, but the payload is not JSON claims: the sender signed something else than a JSON object (e.g. the text of the claims encoded twice)",
        secret.index() + 1
    )
}

/// The payload is JSON that cannot be read (too deep, a number too large), and a
/// secret's MAC matches: the token is genuine, its claims are the trouble.
pub fn signed_unreadable_json(secret: &Secret) -> String {
    format!(
        "the signature matches secret #{}: the sender really signed this payload, but receivers will fail to read its claims too; keep claims shallow and numbers within a 64-bit float (send large ids as strings)",
        secret.index() + 1
    )
}

fn short_key(secret: &Secret, alg: Algorithm) -> Option<String> {
    let needed = hash_len(alg);
    (secret.len() < needed).then(|| {
        format!(
            "secret #{} is {} bytes, shorter than the {needed}-byte hash of {alg:?}; RFC 7518 §3.2 asks for a key at least as long",
            secret.index() + 1,
            secret.len()
        )
    })
}

/// Hints about how the sender packed the request, for a body with no token found
/// (or a token found elsewhere): compression, a byte-order mark, a JSON string.
pub fn for_request(body: &[u8], headers: &[(String, String)]) -> Vec<String> {
    let mut hints = Vec::new();
    let compressed = headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("content-encoding")
            && value.split(',').any(|coding| {
                let coding = coding.trim();
                ["gzip", "x-gzip", "deflate", "br", "zstd", "compress"]
                    .iter()
                    .any(|known| coding.eq_ignore_ascii_case(known))
            })
    });
    if compressed {
        hints.push(COMPRESSED.to_owned());
    }
    if let Some(rest) = body.strip_prefix(b"\xEF\xBB\xBF")
        && std::str::from_utf8(rest)
            .is_ok_and(|text| super::find::decode_header_segment(text.trim()).is_some())
    {
        hints.push(BOM.to_owned());
    }
    // Only a body that starts as a JSON string is parsed again (this runs for every
    // request).
    let quoted = body.trim_ascii_start().first() == Some(&b'"');
    if quoted
        && let Ok(serde_json::Value::String(inner)) = serde_json::from_slice(body)
        && super::find::decode_header_segment(inner.trim()).is_some()
    {
        hints.push(JSON_STRING.to_owned());
    }
    hints
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Signature;
    use crate::token::verify::Verifier;
    use base64::Engine as _;
    use serde_json::json;

    fn sign(secret: &[u8]) -> String {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &json!({"iss": "Truora"}),
            &jsonwebtoken::EncodingKey::from_secret(secret),
        )
        .unwrap()
    }

    fn hints_for(token: &str, text: &str, encoding: SecretEncoding) -> (Signature, Vec<String>) {
        let v = Verifier::new(vec![Secret::new(text, encoding, 0).unwrap()]);
        let checked = v.check(token, false, 0).verification;
        (checked.signature, checked.hints)
    }

    #[test]
    fn pasted_whitespace() {
        let secret = "0123456789abcdef0123456789abcdef";
        let (sig, hints) = hints_for(
            &sign(secret.as_bytes()),
            &format!("{secret}\n"),
            SecretEncoding::Utf8,
        );
        assert_eq!(sig, Signature::Invalid);
        assert!(hints[0].contains("whitespace around it"), "{hints:?}");
    }

    #[test]
    fn secret_that_is_really_base64() {
        let key = [7u8; 32];
        let text = base64::engine::general_purpose::STANDARD.encode(key);
        let (sig, hints) = hints_for(&sign(&key), &text, SecretEncoding::Utf8);
        assert_eq!(sig, Signature::Invalid);
        assert!(hints[0].contains("read as base64 "), "{hints:?}");
    }

    #[test]
    fn secret_read_as_base64_that_is_text() {
        let text = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0";
        let (sig, hints) = hints_for(&sign(text.as_bytes()), text, SecretEncoding::Base64);
        assert_eq!(sig, Signature::Invalid);
        assert!(hints[0].contains("as plain text"), "{hints:?}");
    }

    #[test]
    fn short_secret_warns_even_when_valid() {
        let (sig, hints) = hints_for(&sign(b"short"), "short", SecretEncoding::Utf8);
        assert_eq!(sig, Signature::Valid);
        assert!(
            hints[0].contains("5 bytes, shorter than the 32-byte"),
            "{hints:?}"
        );
    }

    #[test]
    fn the_window_is_told_its_control_and_the_command_line_its_flag() {
        let key = [7u8; 32];
        let text = base64::engine::general_purpose::STANDARD.encode(key);
        let token = sign(&key);
        let secret = || vec![Secret::new(&text, SecretEncoding::Utf8, 0).unwrap()];
        let window = Verifier::new(secret())
            .for_audience(Audience::Window)
            .check(&token, false, 0)
            .verification
            .hints;
        assert!(window[0].contains("encoding drop-down"), "{window:?}");
        assert!(!window[0].contains("--"), "{window:?}");
        let cli = Verifier::new(secret())
            .check(&token, false, 0)
            .verification
            .hints;
        assert!(cli[0].contains("--secret-encoding base64"), "{cli:?}");
    }

    #[test]
    fn a_secret_keeps_the_number_its_row_shows() {
        // The window's Secret #1 is empty: the secret it verifies with is its #2.
        let secret = "0123456789abcdef0123456789abcdef";
        let v = Verifier::new(vec![Secret::new(secret, SecretEncoding::Utf8, 1).unwrap()]);
        let checked = v.check(&sign(secret.as_bytes()), false, 0).verification;
        assert_eq!(checked.signature, Signature::Valid);
        assert_eq!(checked.secret, Some(1));
        assert_eq!(checked.detail, "signature verified with secret #2");
    }

    #[test]
    fn plain_mismatch_gets_general_advice() {
        let (sig, hints) = hints_for(
            &sign(b"0123456789abcdef0123456789abcdef"),
            "fedcba9876543210fedcba9876543210",
            SecretEncoding::Utf8,
        );
        assert_eq!(sig, Signature::Invalid);
        assert_eq!(hints.len(), 1);
        assert!(hints[0].contains("subscription"));
    }
}
