//! Checking a candidate token: structure, then `alg` against an allow-list, then
//! secret presence, then the HMAC over the exact bytes received.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde_json::Value;

use super::hints::{self, Audience};
use super::mac::Keyed;
use super::secret::Secret;
use crate::record::{Signature, TimeState, Verification};

/// Clock skew allowed around `exp` and `nbf`, in seconds.
pub const LEEWAY_SECS: i64 = 60;

/// The secrets tokens are verified against, in the order they were given.
#[derive(Debug, Clone, Default)]
pub struct Verifier {
    secrets: Vec<Secret>,
    audience: Audience,
    /// Secrets that could not be read in their encoding (the window keeps the row
    /// and says so), each with its 0-based number: never tried, but a hint says
    /// when another reading of one verifies the token.
    unreadable: Vec<Unreadable>,
}

/// A secret's text that is not valid in the encoding chosen for it.
#[derive(Clone)]
pub struct Unreadable {
    pub index: usize,
    pub text: zeroize::Zeroizing<String>,
    pub encoding: crate::token::SecretEncoding,
}

impl std::fmt::Debug for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unreadable")
            .field("index", &self.index)
            .field("encoding", &self.encoding)
            .finish_non_exhaustive()
    }
}

/// A token taken apart: what the record shows and what verification decided.
#[derive(Debug, Clone)]
pub struct Checked {
    pub header: Value,
    pub claims: Option<Value>,
    pub verification: Verification,
}

impl Verifier {
    /// A verifier for these secrets, tried in order.
    pub fn new(secrets: Vec<Secret>) -> Self {
        Verifier {
            secrets,
            audience: Audience::CommandLine,
            unreadable: Vec::new(),
        }
    }

    /// The same verifier, told of the secrets that could not be read in their
    /// encoding: a hint names one when another reading of it verifies a token.
    pub fn with_unreadable(mut self, unreadable: Vec<Unreadable>) -> Self {
        self.unreadable = unreadable;
        self
    }

    /// The same verifier, its hints worded for `audience`.
    pub fn for_audience(mut self, audience: Audience) -> Self {
        self.audience = audience;
        self
    }

    /// Who the hints are worded for.
    pub fn audience(&self) -> Audience {
        self.audience
    }

    /// The secrets, in order.
    pub fn secrets(&self) -> &[Secret] {
        &self.secrets
    }

    /// Checks a trimmed candidate token. `now` is unix seconds; `had_whitespace`
    /// says whether the token arrived with whitespace around it.
    pub fn check(&self, raw: &str, had_whitespace: bool, now: i64) -> Checked {
        let header = super::find::decode_header_segment(raw);
        self.check_decoded(raw, header, had_whitespace, now)
    }

    /// Like [`Verifier::check`], with the header already decoded by finding.
    pub fn check_decoded(
        &self,
        raw: &str,
        header: Option<serde_json::Map<String, Value>>,
        had_whitespace: bool,
        now: i64,
    ) -> Checked {
        let mut checked = self.check_inner(raw, header, now);
        if checked.verification.time == TimeState::InvalidClaim {
            checked
                .verification
                .hints
                .push(hints::TIME_NOT_NUMERIC.to_owned());
        }
        if had_whitespace {
            checked
                .verification
                .hints
                .insert(0, hints::TOKEN_WHITESPACE.to_owned());
        }
        checked
    }

    fn check_inner(
        &self,
        raw: &str,
        header: Option<serde_json::Map<String, Value>>,
        now: i64,
    ) -> Checked {
        let header = header.map(Value::Object).unwrap_or(Value::Null);
        let alg_text = header.get("alg").map(|alg| match alg {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        let (claims, outcome) = match self.structure(raw, &header, alg_text.as_deref()) {
            Ok(mut parts) => {
                let claims = std::mem::take(&mut parts.claims);
                (Some(claims), self.signature(&parts, alg_text.as_deref()))
            }
            Err(refused) => *refused,
        };
        let time = time_state(claims.as_ref(), now);
        let mut verification = Verification::new(
            outcome.signature,
            alg_text,
            time,
            outcome.detail,
            outcome.hints,
        );
        verification.secret = outcome.secret;
        Checked {
            header,
            claims,
            verification,
        }
    }

    /// The first check: a well-formed compact JWS with no `crit`; else `malformed`,
    /// with the claims that could still be read.
    fn structure<'a>(
        &self,
        raw: &'a str,
        header: &Value,
        alg: Option<&str>,
    ) -> Result<Parts<'a>, Box<(Option<Value>, Outcome)>> {
        let mut parts = match Parts::split(raw, header.is_object()) {
            Ok(parts) => parts,
            Err(problem) => {
                let mut hints = Vec::new();
                if raw.contains('=') {
                    hints.push(hints::PADDED_SEGMENTS.to_owned());
                }
                if let Some(secret) = self.signs_raw(raw, alg) {
                    hints.push(if problem.starts_with(UNREADABLE_JSON) {
                        hints::signed_unreadable_json(secret)
                    } else {
                        hints::signed_non_json(secret)
                    });
                }
                return Err(Box::new((
                    lenient_claims(raw),
                    Outcome::malformed(problem, hints),
                )));
            }
        };
        let Some(crit) = header.get("crit") else {
            return Ok(parts);
        };
        let b64 = if header.get("b64") == Some(&Value::Bool(false)) {
            " (with \"b64\": false, the payload is not base64url-encoded)"
        } else {
            ""
        };
        let detail = format!(
            "the header has \"crit\": {crit}{b64}; RFC 7515 §4.1.11: a token with critical extensions that are not understood must be refused, and hookscope supports none"
        );
        let claims = std::mem::take(&mut parts.claims);
        Err(Box::new((
            Some(claims),
            Outcome::malformed(detail, vec![hints::CRIT.to_owned()]),
        )))
    }

    /// The checks after the structure: `alg`, a secret, then the HMAC.
    fn signature(&self, parts: &Parts, alg_text: Option<&str>) -> Outcome {
        let Some(alg) = allowed_alg(alg_text) else {
            let shown = alg_text.unwrap_or_default();
            let mut hints = Vec::new();
            if shown.eq_ignore_ascii_case("none") {
                hints.push(hints::ALG_NONE.to_owned());
            }
            hints.extend(self.secrets.iter().filter_map(hints::public_key));
            return Outcome {
                signature: Signature::UnsupportedAlg,
                detail: format!(
                    "alg {shown:?} is not accepted: only HS256, HS384 and HS512 are verified"
                ),
                hints,
                secret: None,
            };
        };
        let unreadable = || {
            hints::unreadable(
                &self.unreadable,
                |key| parts.verifies_once(key, alg),
                self.audience,
            )
        };
        if self.secrets.is_empty() {
            return Outcome {
                signature: Signature::NoSecret,
                detail: "no secret is set: add the hook's secret to verify the signature"
                    .to_owned(),
                hints: unreadable(),
                secret: None,
            };
        }
        let matched = self
            .secrets
            .iter()
            .find(|secret| parts.verifies(secret.key(), alg));
        match matched {
            Some(secret) => Outcome {
                signature: Signature::Valid,
                detail: format!("signature verified with secret #{}", secret.index() + 1),
                hints: hints::for_valid(secret, alg),
                secret: Some(secret.index()),
            },
            None => Outcome {
                signature: Signature::Invalid,
                detail: match self.secrets.len() {
                    1 => "the signature does not match the secret".to_owned(),
                    n => format!("the signature matches none of the {n} secrets"),
                },
                hints: {
                    let mut found = unreadable();
                    found.extend(hints::for_invalid(
                        &self.secrets,
                        |key| parts.verifies_once(key, alg),
                        alg,
                        self.audience,
                    ));
                    found
                },
                secret: None,
            },
        }
    }
}

/// What one check decided.
struct Outcome {
    signature: Signature,
    detail: String,
    hints: Vec<String>,
    /// The secret that verified, by its number.
    secret: Option<usize>,
}

impl Outcome {
    fn malformed(detail: String, hints: Vec<String>) -> Outcome {
        Outcome {
            signature: Signature::Malformed,
            detail,
            hints,
            secret: None,
        }
    }
}

impl Verifier {
    /// The secret whose MAC matches a three-part token that is malformed in its
    /// payload (not JSON), so the hint can say the sender signed other bytes.
    fn signs_raw(&self, raw: &str, alg: Option<&str>) -> Option<&Secret> {
        let alg = allowed_alg(alg)?;
        let (input, signature) = raw.rsplit_once('.')?;
        if input.matches('.').count() != 1 {
            return None;
        }
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        self.secrets
            .iter()
            .find(|secret| secret.key().verifies(alg, input.as_bytes(), &signature))
    }
}

/// Only the HMAC family is ever verified; `none`, RS256 and the rest are refused
/// whatever the secret, so a key can never be confused across algorithms.
fn allowed_alg(alg: Option<&str>) -> Option<Algorithm> {
    match alg? {
        "HS256" => Some(Algorithm::HS256),
        "HS384" => Some(Algorithm::HS384),
        "HS512" => Some(Algorithm::HS512),
        _ => None,
    }
}

/// A structurally valid compact JWS.
struct Parts<'a> {
    /// `header.payload` exactly as received: what the signature covers.
    signing_input: &'a str,
    signature: Vec<u8>,
    claims: Value,
}

impl<'a> Parts<'a> {
    /// `header_ok`: the header segment is already known to decode to a JSON object.
    fn split(raw: &'a str, header_ok: bool) -> Result<Self, String> {
        let segments: Vec<&str> = raw.split('.').collect();
        if segments.len() != 3 {
            return Err(format!(
                "a compact JWT has 3 dot-separated parts; this one has {}",
                segments.len()
            ));
        }
        let names = ["header", "payload", "signature"];
        let mut decoded = Vec::with_capacity(3);
        for (segment, name) in segments.iter().zip(names) {
            match URL_SAFE_NO_PAD.decode(segment) {
                Ok(bytes) => decoded.push(bytes),
                Err(_) if segment.contains('=') => {
                    return Err(format!(
                        "the {name} is padded with '=': JWTs use base64url without padding"
                    ));
                }
                Err(_) => return Err(format!("the {name} is not valid base64url")),
            }
        }
        if !header_ok
            && !matches!(
                serde_json::from_slice::<Value>(&decoded[0]),
                Ok(Value::Object(_))
            )
        {
            return Err("the header is not a JSON object".to_owned());
        }
        let claims = match serde_json::from_slice::<Value>(&decoded[1]) {
            Ok(claims @ Value::Object(_)) => claims,
            Ok(_) => return Err("the payload is JSON but not an object of claims".to_owned()),
            Err(err) => return Err(payload_error(&err)),
        };
        let signing_input = &raw[..segments[0].len() + 1 + segments[1].len()];
        Ok(Parts {
            signing_input,
            signature: decoded.pop().unwrap_or_default(),
            claims,
        })
    }

    fn verifies(&self, key: &Keyed, alg: Algorithm) -> bool {
        key.verifies(alg, self.signing_input.as_bytes(), &self.signature)
    }

    fn verifies_once(&self, key: &[u8], alg: Algorithm) -> bool {
        super::mac::verifies_once(key, alg, self.signing_input.as_bytes(), &self.signature)
    }
}

/// What is wrong with a payload that does not parse: JSON beyond what can be read
/// (too deep, a number past a float's range), or no JSON at all.
fn payload_error(err: &serde_json::Error) -> String {
    let text = err.to_string();
    if text.starts_with("recursion limit exceeded") {
        format!(
            "{UNREADABLE_JSON}: it is nested 128 levels deep or more, deeper than hookscope (and most JSON libraries) reads"
        )
    } else if text.starts_with("number out of range") {
        format!(
            "{UNREADABLE_JSON}: a number in it ({text}) is beyond the range of a 64-bit float, which most JSON libraries refuse or turn into infinity"
        )
    } else {
        "the payload is not JSON".to_owned()
    }
}

/// How a payload that is JSON but cannot be read is described.
const UNREADABLE_JSON: &str = "the payload is JSON, but its claims cannot be read";

/// Claims of a malformed token, shown when its payload still decodes to JSON.
fn lenient_claims(raw: &str) -> Option<Value> {
    let payload = raw.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// `exp`/`nbf` against `now`, with [`LEEWAY_SECS`] either side; `invalid_claim`
/// when either is present but not a JSON number (RFC 7519 NumericDate).
pub fn time_state(claims: Option<&Value>, now: i64) -> TimeState {
    let claim = |name: &str| claims.and_then(|c| c.get(name));
    let (exp, nbf) = (claim("exp"), claim("nbf"));
    if exp.is_none() && nbf.is_none() {
        return TimeState::Absent;
    }
    if [exp, nbf].into_iter().flatten().any(|v| !v.is_number()) {
        return TimeState::InvalidClaim;
    }
    let seconds =
        |v: Option<&Value>| v.and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)));
    let (exp, nbf) = (seconds(exp), seconds(nbf));
    if exp.is_some_and(|exp| now >= exp.saturating_add(LEEWAY_SECS)) {
        return TimeState::Expired;
    }
    if nbf.is_some_and(|nbf| now < nbf.saturating_sub(LEEWAY_SECS)) {
        return TimeState::NotYetValid;
    }
    TimeState::Ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::secret::SecretEncoding;
    use serde_json::json;

    fn sign(claims: &Value, secret: &[u8], alg: Algorithm) -> String {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(alg),
            claims,
            &jsonwebtoken::EncodingKey::from_secret(secret),
        )
        .unwrap()
    }

    fn verifier(secrets: &[&str]) -> Verifier {
        Verifier::new(
            secrets
                .iter()
                .enumerate()
                .map(|(i, s)| Secret::new(s, SecretEncoding::Utf8, i).unwrap())
                .collect(),
        )
    }

    const SECRET: &str = "a-secret-long-enough-for-hs256-000";

    #[test]
    fn valid_with_second_secret() {
        let token = sign(
            &json!({"iss": "Truora"}),
            SECRET.as_bytes(),
            Algorithm::HS256,
        );
        let checked = verifier(&["wrong", SECRET]).check(&token, false, 0);
        assert_eq!(checked.verification.signature, Signature::Valid);
        assert_eq!(checked.verification.secret, Some(1));
        assert_eq!(checked.verification.time, TimeState::Absent);
        assert_eq!(checked.claims, Some(json!({"iss": "Truora"})));
    }

    #[test]
    fn one_changed_byte_is_invalid() {
        let token = sign(
            &json!({"iss": "Truora", "n": 1}),
            SECRET.as_bytes(),
            Algorithm::HS512,
        );
        let v = verifier(&[SECRET]);
        for i in 0..token.len() {
            let mut bytes = token.clone().into_bytes();
            if bytes[i] == b'.' {
                continue;
            }
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let tampered = String::from_utf8(bytes).unwrap();
            let sig = v.check(&tampered, false, 0).verification.signature;
            assert_ne!(sig, Signature::Valid, "byte {i} changed and still valid");
        }
    }

    #[test]
    fn order_of_checks() {
        let v = verifier(&[SECRET]);
        // An unsecured JWS (empty signature) is well-formed, and refused for its alg.
        let none = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJUcnVvcmEifQ.";
        assert_eq!(
            v.check(none, false, 0).verification.signature,
            Signature::UnsupportedAlg
        );
        // Structure is checked before alg.
        let none_two_parts = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJUcnVvcmEifQ";
        assert_eq!(
            v.check(none_two_parts, false, 0).verification.signature,
            Signature::Malformed
        );
        let none_sig = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJUcnVvcmEifQ.c2ln";
        let checked = v.check(none_sig, false, 0);
        assert_eq!(checked.verification.signature, Signature::UnsupportedAlg);
        assert!(!checked.verification.hints.is_empty());
        let token = sign(&json!({}), SECRET.as_bytes(), Algorithm::HS256);
        assert_eq!(
            Verifier::default()
                .check(&token, false, 0)
                .verification
                .signature,
            Signature::NoSecret
        );
    }

    #[test]
    fn malformed_shapes() {
        let v = verifier(&[SECRET]);
        let token = sign(&json!({"a": 1}), SECRET.as_bytes(), Algorithm::HS256);
        let (h, rest) = token.split_once('.').unwrap();
        let cases = [
            format!("{h}.{rest}.extra"),
            format!("{h}.e30"),
            format!("{h}.e30=.c2ln"),
            format!("{h}.bm90IGpzb24.c2ln"),
            format!("{h}.WzFd.c2ln"),
            format!("{h}.e3!0.c2ln"),
        ];
        for case in cases {
            let checked = v.check(&case, false, 0);
            assert_eq!(
                checked.verification.signature,
                Signature::Malformed,
                "{case}"
            );
        }
    }

    #[test]
    fn time_states_with_leeway() {
        let at = |c: Value, now| time_state(Some(&c), now);
        assert_eq!(at(json!({"exp": 100}), 159), TimeState::Ok);
        assert_eq!(at(json!({"exp": 100}), 160), TimeState::Expired);
        assert_eq!(at(json!({"nbf": 100}), 40), TimeState::Ok);
        assert_eq!(at(json!({"nbf": 100}), 39), TimeState::NotYetValid);
        assert_eq!(at(json!({"iat": 100}), 39), TimeState::Absent);
        assert_eq!(time_state(None, 0), TimeState::Absent);
    }

    #[test]
    fn expired_token_keeps_a_valid_signature() {
        let token = sign(&json!({"exp": 10}), SECRET.as_bytes(), Algorithm::HS384);
        let checked = verifier(&[SECRET]).check(&token, true, 1_000);
        assert_eq!(checked.verification.signature, Signature::Valid);
        assert_eq!(checked.verification.time, TimeState::Expired);
        assert_eq!(checked.verification.hints[0], hints::TOKEN_WHITESPACE);
    }
}
