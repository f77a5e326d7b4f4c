//! Plain advice for the mistakes people make with webhook secrets and tokens,
//! most of all for a developer stuck on `invalid`.

use jsonwebtoken::Algorithm;

use super::secret::{Secret, SecretEncoding};
use super::verify::hash_len;

/// The token arrived with whitespace around it.
pub const TOKEN_WHITESPACE: &str = "the token came with whitespace around it; hookscope removed it before verifying, but a strict receiver may not";
/// A segment carries `=` padding.
pub const PADDED_SEGMENTS: &str =
    "JWT segments are base64url without '=' padding; the sender is padding them";
/// `alg: none` is an unsigned token.
pub const ALG_NONE: &str = "alg \"none\" means the token is not signed at all; anyone could have made it, so it is never accepted";

/// Hints for a token that verified: only the weak-key warning applies.
pub fn for_valid(secret: &Secret, index: usize, alg: Algorithm) -> Vec<String> {
    short_key(secret, index, alg).into_iter().collect()
}

/// Hints for a well-formed HMAC token that no secret verifies: which other reading
/// of a secret would have verified it, and which secrets are too short.
pub fn for_invalid(
    secrets: &[Secret],
    verifies: impl Fn(&[u8]) -> bool,
    alg: Algorithm,
) -> Vec<String> {
    let mut hints = Vec::new();
    let try_bytes = |bytes: &[u8]| !bytes.is_empty() && verifies(bytes);
    for (index, secret) in secrets.iter().enumerate() {
        let number = index + 1;
        let text = secret.text();
        let trimmed = text.trim();
        if trimmed.len() != text.len()
            && secret
                .encoding()
                .decode(trimmed)
                .is_some_and(|bytes| try_bytes(&bytes))
        {
            hints.push(format!(
                "secret #{number} has whitespace around it (a stray space or newline from pasting); it verifies once trimmed"
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
                "secret #{number} verifies the token when read {reading} (--secret-encoding {})",
                encoding.as_str()
            ));
            continue;
        }
        hints.extend(short_key(secret, index, alg));
    }
    if hints.is_empty() {
        hints.push(
            "check that the secret is the one of this hook's subscription, and that nothing between the sender and here re-encoded the body"
                .to_owned(),
        );
    }
    hints
}

fn short_key(secret: &Secret, index: usize, alg: Algorithm) -> Option<String> {
    let needed = hash_len(alg);
    (secret.len() < needed).then(|| {
        format!(
            "secret #{} is {} bytes, shorter than the {needed}-byte hash of {alg:?}; RFC 7518 §3.2 asks for a key at least as long",
            index + 1,
            secret.len()
        )
    })
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
