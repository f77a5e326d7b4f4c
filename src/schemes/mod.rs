//! The other signed webhooks: Standard Webhooks (and its `svix-*` spelling),
//! Stripe, GitHub, Shopify and Slack, each an HMAC over bytes the provider names,
//! in a header. The scheme is chosen by the headers a request carries, nothing to
//! configure; each scheme is one file here ([`Scheme`]: detect, verify, its events,
//! how it signs and a realistic event of its provider, for `send` and `probe`), and a
//! request none of them claims goes on to Truora's JWT.

mod github;
mod shopify;
mod slack;
mod standard;
mod stripe;

use hmac::{Hmac, Mac};
use serde_json::Value;

use crate::record::{Event, Signature, TimeState, Verification};
use crate::send::Outgoing;
use crate::token::Secret;

/// A request as a scheme sees it.
pub struct Request<'a> {
    pub body: &'a [u8],
    pub headers: &'a [(String, String)],
    /// When it arrived (unix seconds): signed timestamps are judged against it.
    pub received_at: i64,
}

impl Request<'_> {
    /// The first value of header `name` (any case), trimmed.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    }

    /// The body as JSON, when it is.
    fn json(&self) -> Option<Value> {
        serde_json::from_slice(self.body).ok()
    }
}

/// What a scheme signs: the body, the time it is stamped with, the delivery's id.
pub struct Stamp<'a> {
    pub body: &'a [u8],
    pub timestamp: i64,
    pub id: &'a str,
}

/// A provider's event as it sends one: the body, the headers besides the
/// signature's, and the delivery's id.
#[derive(Debug, Clone)]
pub struct Sample {
    pub body: Vec<u8>,
    pub headers: Vec<(String, String)>,
    pub id: String,
}

/// One signed-webhook scheme.
pub trait Scheme: Sync {
    /// Its name in `verification.scheme`.
    fn name(&self) -> &'static str;
    /// Whether the request carries this scheme's signature header.
    fn detect(&self, request: &Request) -> bool;
    /// The verdict, with `scheme`, `alg`, `timestamp` and `message_id` set.
    fn verify(&self, request: &Request, secrets: &[Secret]) -> Verification;
    /// The provider's event: its type, id and subject.
    fn event(&self, request: &Request, message_id: Option<&str>) -> Event;
    /// Whether the signature covers a timestamp (the probe's time cases).
    fn timestamped(&self) -> bool {
        false
    }
    /// The MAC key a secret, as the provider hands it out, stands for.
    fn key(&self, secret: &str) -> Vec<u8> {
        secret.trim().as_bytes().to_vec()
    }
    /// The signature over `stamp` with `key`, written as the header carries it.
    fn mac(&self, key: &[u8], stamp: &Stamp) -> String;
    /// The headers that carry `signatures` (none given: the signature header is
    /// left out), stamped `timestamp` and `id` where the scheme sends them.
    fn headers(&self, timestamp: i64, id: &str, signatures: &[String]) -> Vec<(String, String)>;
    /// Signature headers the provider sends beside the main one.
    fn extra(&self, _key: &[u8], _stamp: &Stamp) -> Vec<(String, String)> {
        Vec::new()
    }
    /// A realistic event of the provider, the `n`th of a run, sent at `now`.
    fn sample(&self, n: u64, now: i64) -> Sample;
    /// Whether a request may carry several signatures, any one of which verifies
    /// (secret rotation).
    fn rotates(&self) -> bool {
        false
    }
    /// Whether the provider's own libraries accept a timestamp from the future.
    fn accepts_future(&self) -> bool {
        false
    }
    /// A signature the scheme knows but that must not be enough on its own.
    fn weaker(&self, _key: &[u8], _stamp: &Stamp) -> Option<Weaker> {
        None
    }
    /// The provider's name in words.
    fn title(&self) -> &'static str;
    /// What is signed before the raw body (`{t}.` for Stripe), for the detail.
    fn signed_prefix(&self, _timestamp: i64, _id: &str) -> String {
        String::new()
    }
    /// The receiver's verification in the language of file `extension` (`py`, `js`,
    /// `go`, `rs`): what to install, the imports and a `verify` function, separated
    /// by `---` lines (`verify --code LANG --scheme S`).
    fn receiver(&self, extension: &str) -> &'static str;
}

/// A scheme's [`Scheme::receiver`], from `assets/receivers/schemes/NAME.EXT`.
macro_rules! receiver_code {
    ($name:literal) => {
        fn receiver(&self, extension: &str) -> &'static str {
            match extension {
                "py" => include_str!(concat!("../../assets/receivers/schemes/", $name, ".py")),
                "js" => include_str!(concat!("../../assets/receivers/schemes/", $name, ".js")),
                "go" => include_str!(concat!("../../assets/receivers/schemes/", $name, ".go")),
                _ => include_str!(concat!("../../assets/receivers/schemes/", $name, ".rs")),
            }
        }
    };
}
use receiver_code;

/// A signature that must not be enough on its own (Stripe's `v0`, GitHub's SHA-1):
/// the probe's case for it.
pub struct Weaker {
    pub case: &'static str,
    /// Refusing it is required (else advisory).
    pub required: bool,
    /// The signature headers of a request signed with it alone.
    pub headers: Vec<(String, String)>,
    pub advice: &'static str,
}

/// The schemes `send --scheme` and `probe --scheme` speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Name {
    #[value(name = "standard_webhooks")]
    StandardWebhooks,
    Stripe,
    Github,
    Shopify,
    Slack,
}

impl Name {
    /// Every scheme, in the order menus list them.
    pub const ALL: [Name; 5] = [
        Name::StandardWebhooks,
        Name::Stripe,
        Name::Github,
        Name::Shopify,
        Name::Slack,
    ];

    /// The scheme a record's `verification.scheme` names (`None`: JWT, DKIM or none).
    pub fn from_scheme(scheme: &str) -> Option<Name> {
        Name::ALL.into_iter().find(|n| n.scheme().name() == scheme)
    }

    /// The scheme of this name.
    pub fn scheme(self) -> &'static dyn Scheme {
        match self {
            Name::StandardWebhooks => &standard::StandardWebhooks,
            Name::Stripe => &stripe::Stripe,
            Name::Github => &github::Github,
            Name::Shopify => &shopify::Shopify,
            Name::Slack => &slack::Slack,
        }
    }
}

/// What another provider's scheme signed, in words for the detail: the prefix it
/// puts before the raw body (the timestamp, the message id), the body's length and
/// SHA-256 (up to 64 KiB). `None` for a request no scheme verified.
pub fn signed_words(record: &crate::record::Record) -> Option<String> {
    let v = &record.verification;
    let name = Name::from_scheme(v.scheme.as_deref()?)?;
    let body = record.body_bytes();
    let prefix = name.scheme().signed_prefix(
        v.timestamp.unwrap_or_default(),
        v.message_id.as_deref().unwrap_or_default(),
    );
    let hash = if body.len() <= 64 * 1024 {
        use sha2::Digest as _;
        format!(", SHA-256 {}…", to_hex(&sha2::Sha256::digest(&body)[..8]))
    } else {
        String::new()
    };
    let prefix = if prefix.is_empty() {
        String::new()
    } else {
        format!("\"{}\" + ", crate::terminal::escape(&prefix))
    };
    Some(format!(
        "signed: {prefix}the raw body ({} bytes{hash})",
        body.len()
    ))
}

/// The request the provider would send: `sample` signed with `secret` at `timestamp`.
pub fn signed(scheme: &dyn Scheme, secret: &str, sample: &Sample, timestamp: i64) -> Outgoing {
    let key = scheme.key(secret);
    let stamp = Stamp {
        body: &sample.body,
        timestamp,
        id: &sample.id,
    };
    let signature = scheme.mac(&key, &stamp);
    let mut headers = sample.headers.clone();
    headers.extend(scheme.headers(timestamp, &sample.id, &[signature]));
    headers.extend(scheme.extra(&key, &stamp));
    Outgoing::with_headers(sample.body.clone(), headers)
}

/// Every scheme, in the order a request is matched against them.
const SCHEMES: [&dyn Scheme; 5] = [
    &standard::StandardWebhooks,
    &stripe::Stripe,
    &github::Github,
    &shopify::Shopify,
    &slack::Slack,
];

/// The verdict and event of a request signed by one of the schemes, `None` when
/// none claims it (the JWT is looked for then).
pub fn analyze(request: &Request, secrets: &[Secret]) -> Option<(Verification, Vec<Event>)> {
    let scheme = SCHEMES.iter().find(|scheme| scheme.detect(request))?;
    let mut verification = scheme.verify(request, secrets);
    verification.scheme = Some(scheme.name().to_owned());
    let event = scheme.event(request, verification.message_id.as_deref());
    Some((verification, vec![event]))
}

/// A verdict of a scheme.
fn verdict(signature: Signature, alg: &str, detail: String) -> Verification {
    Verification::new(
        signature,
        Some(alg.to_owned()),
        TimeState::Absent,
        detail,
        Vec::new(),
    )
}

/// `malformed`, saying what cannot be read.
fn malformed(alg: &str, detail: impl Into<String>) -> Verification {
    verdict(Signature::Malformed, alg, detail.into())
}

/// `no_secret`.
fn no_secret(alg: &str) -> Verification {
    verdict(
        Signature::NoSecret,
        alg,
        "no secret is set: add the webhook's signing secret to verify it".to_owned(),
    )
}

/// The verdict once a scheme can check MACs: `valid` naming the first secret whose
/// key `signs` the body, else `invalid` with the hints every scheme shares (the
/// body re-serialised on its way, the secrets' own); `time` the signed timestamp's.
fn decide(
    scheme: &str,
    alg: &str,
    secrets: &[Secret],
    body: &[u8],
    time: TimeState,
    signs: impl Fn(&[u8], &Secret) -> bool,
) -> Verification {
    if let Some(secret) = secrets.iter().find(|s| signs(body, s)) {
        let mut v = verdict(
            Signature::Valid,
            alg,
            format!("signature verified with secret #{}", secret.index() + 1),
        );
        v.secret = Some(secret.index());
        v.time = time;
        v.hints.extend(stale_hint(time));
        return v;
    }
    let mut v = verdict(
        Signature::Invalid,
        alg,
        "the signature matches no secret".to_owned(),
    );
    v.time = time;
    let rewritten = reserialised(body);
    if secrets
        .iter()
        .any(|s| rewritten.iter().any(|b| signs(b, s)))
    {
        v.hints.push(RESERIALISED.to_owned());
    }
    v.hints.extend(secret_hints(secrets, scheme));
    v
}

/// HMAC-SHA256 of the parts, one after the other.
fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC takes keys of any length: `new_from_slice` cannot fail.
    let mut mac =
        <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

/// Lowercase hex of `bytes`.
fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A JSON value's bytes, compact, as providers send their bodies.
fn body(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// An id that looks like the provider's (`prefix` then 24 characters from `n`).
fn id(prefix: &str, n: u64) -> String {
    format!(
        "{prefix}{:024x}",
        n.wrapping_mul(0x9e37_79b9_7f4a_7c15) as u128 | 1 << 95
    )
    .chars()
    .take(prefix.len() + 24)
    .collect()
}

/// A UUID-shaped id from `n` (GitHub's deliveries, Shopify's webhook ids).
fn uuid(n: u64) -> String {
    let x = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let y = x.rotate_left(29) ^ 0x5bd1_e995;
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        x >> 32,
        (x >> 16) & 0xffff,
        x & 0xfff,
        y & 0xfff,
        y >> 16
    )
}

/// Compares two MACs in constant time.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The time state of a signed timestamp against the arrival, with the providers'
/// tolerance of 300 s.
fn time_of(timestamp: i64, received_at: i64) -> TimeState {
    const TOLERANCE: i64 = 300;
    if received_at.saturating_sub(timestamp) > TOLERANCE {
        TimeState::Expired
    } else if timestamp.saturating_sub(received_at) > TOLERANCE {
        TimeState::NotYetValid
    } else {
        TimeState::Ok
    }
}

/// The hint for a good MAC over a timestamp out of tolerance.
fn stale_hint(time: TimeState) -> Option<String> {
    match time {
        TimeState::Expired => Some(
            "the signature is right but its timestamp is more than 5 minutes old: clock skew, a delayed delivery or a replay; the provider's libraries refuse it".to_owned(),
        ),
        TimeState::NotYetValid => Some(
            "the signature is right but its timestamp is more than 5 minutes ahead: a clock is wrong; the provider's libraries refuse it".to_owned(),
        ),
        _ => None,
    }
}

/// The same JSON written another way (minified, or pretty): when one of these
/// verifies, something between the sender and here parsed and rewrote the body.
fn reserialised(body: &[u8]) -> Vec<Vec<u8>> {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    [
        serde_json::to_vec(&value),
        serde_json::to_vec_pretty(&value),
    ]
    .into_iter()
    .flatten()
    .filter(|other| other != body)
    .collect()
}

/// The hint when the body, written another way, verifies.
const RESERIALISED: &str = "the body was re-serialised between the sender and here (the same JSON, minified or pretty-printed, verifies): something in between parsed and rewrote it, as smee does; verify the raw bytes as received";

/// Hints that apply to every HMAC scheme: a secret with whitespace around it, a
/// secret of another provider.
fn secret_hints(secrets: &[Secret], scheme: &str) -> Vec<String> {
    let mut hints = Vec::new();
    for secret in secrets {
        let text = secret.text();
        let number = secret.index() + 1;
        if text.trim() != text {
            hints.push(format!(
                "secret #{number} has whitespace around it: the provider's secret has none"
            ));
        }
        let other = [
            ("whsec_", "a Stripe or Standard Webhooks signing secret"),
            (
                "xoxb-",
                "a Slack bot token (Slack signs with the app's signing secret)",
            ),
            ("shpss_", "a Shopify app secret"),
        ]
        .into_iter()
        .find(|(prefix, _)| text.starts_with(prefix));
        if let Some((prefix, what)) = other
            && !matches!(
                (prefix, scheme),
                ("whsec_", "stripe" | "standard_webhooks") | ("shpss_", "shopify")
            )
        {
            hints.push(format!(
                "secret #{number} looks like {what}, not a {scheme} secret"
            ));
        }
    }
    hints
}

#[cfg(test)]
mod tests;
