//! Finding the JWT in a request: the body, a JSON field, a form field or the
//! `Authorization` header, in the order `docs/record.md` gives.

use base64::Engine as _;
use base64::engine::general_purpose::GeneralPurpose;
use base64::engine::{DecodePaddingMode, GeneralPurposeConfig};
use serde_json::Value;

/// base64url that accepts a segment with or without `=` padding: finding is
/// lenient so that a padded token is reported as `malformed`, not missed.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A token candidate taken from a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// `body`, `json:<field>`, `form:<field>` or `header:authorization`.
    pub source: String,
    /// The token with surrounding whitespace removed.
    pub raw: String,
    /// Whether whitespace had to be removed.
    pub had_whitespace: bool,
    /// The JOSE header, decoded once while finding.
    pub header: serde_json::Map<String, Value>,
}

/// The first place in the request that holds something shaped like a JWT.
///
/// A truncated body is not searched: a cut token would only mislead.
pub fn find(body: &[u8], body_truncated: bool, headers: &[(String, String)]) -> Option<Candidate> {
    if !body_truncated && let Some(found) = find_in_body(body) {
        return Some(found);
    }
    headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .find_map(|(_, value)| {
            let value = value.trim_start();
            let (scheme, rest) = value.split_at_checked(7)?;
            if !scheme.eq_ignore_ascii_case("bearer ") {
                return None;
            }
            candidate("header:authorization", rest)
        })
}

/// The body searched as `verify` searches its input: whole, JSON fields, form fields.
pub fn find_in_body(body: &[u8]) -> Option<Candidate> {
    let text = std::str::from_utf8(body).ok()?;
    if let Some(found) = candidate("body", text) {
        return Some(found);
    }
    if let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(text) {
        // `preserve_order` keeps the fields in document order.
        return fields.iter().find_map(|(name, value)| match value {
            Value::String(s) => candidate(&format!("json:{name}"), s),
            _ => None,
        });
    }
    form_urlencoded::parse(text.as_bytes())
        .find_map(|(name, value)| candidate(&format!("form:{name}"), &value))
}

fn candidate(source: &str, text: &str) -> Option<Candidate> {
    let raw = text.trim();
    let header = decode_header_segment(raw)?;
    Some(Candidate {
        source: source.to_owned(),
        raw: raw.to_owned(),
        had_whitespace: raw.len() != text.len(),
        header,
    })
}

/// The JOSE header of a candidate: its first segment decoded (padding tolerated) to a
/// JSON object with `alg`; `None` when the text is not shaped like a JWT.
pub fn decode_header_segment(text: &str) -> Option<serde_json::Map<String, Value>> {
    let first = text.split('.').next().unwrap_or_default();
    if first.is_empty() || first.len() > 64 * 1024 {
        return None;
    }
    let bytes = LENIENT.decode(first.trim_end_matches('=')).ok()?;
    match serde_json::from_slice::<Value>(&bytes).ok()? {
        Value::Object(map) if map.contains_key("alg") => Some(map),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn looks_like_jwt(text: &str) -> bool {
        decode_header_segment(text).is_some()
    }

    const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJhIjoxfQ.c2ln";

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn bare_body_with_whitespace() {
        let found = find(format!("\n {TOKEN}\r\n").as_bytes(), false, &[]).unwrap();
        assert_eq!(found.source, "body");
        assert_eq!(found.raw, TOKEN);
        assert!(found.had_whitespace);
    }

    #[test]
    fn json_fields_in_document_order() {
        let body = format!(r#"{{"note":"hello","zeta":"{TOKEN}","alpha":"{TOKEN}"}}"#);
        let found = find(body.as_bytes(), false, &[]).unwrap();
        assert_eq!(found.source, "json:zeta");
        assert!(!found.had_whitespace);
    }

    #[test]
    fn form_field_then_bearer() {
        let body = format!("a=1&jwt={TOKEN}");
        assert_eq!(
            find(body.as_bytes(), false, &[]).unwrap().source,
            "form:jwt"
        );
        let h = headers(&[
            ("X-Other", "1"),
            ("Authorization", &format!("bearer {TOKEN}")),
        ]);
        let found = find(b"not a token", false, &h).unwrap();
        assert_eq!(found.source, "header:authorization");
        assert_eq!(found.raw, TOKEN);
    }

    #[test]
    fn body_wins_over_header_and_truncated_body_is_skipped() {
        let h = headers(&[("authorization", &format!("Bearer {TOKEN}"))]);
        assert_eq!(find(TOKEN.as_bytes(), false, &h).unwrap().source, "body");
        assert_eq!(
            find(TOKEN.as_bytes(), true, &h).unwrap().source,
            "header:authorization"
        );
        assert_eq!(find(TOKEN.as_bytes(), true, &[]), None);
    }

    #[test]
    fn padded_header_is_still_a_candidate() {
        // {"alg":"HS256"} padded with '='.
        assert!(looks_like_jwt("eyJhbGciOiJIUzI1NiJ9==.e30.x"));
        assert!(looks_like_jwt("eyJhbGciOiJIUzI1NiJ9"));
    }

    #[test]
    fn things_that_are_not_jwts() {
        for text in [
            "",
            "hello",
            "e30.e30.e30",
            "{\"alg\":1}",
            "....",
            "eyJ0eXAiOiJKV1QifQ.e30.x",
        ] {
            assert!(!looks_like_jwt(text), "{text}");
        }
        assert_eq!(find(&[0xff, 0xfe, 0x00], false, &[]), None);
    }
}
