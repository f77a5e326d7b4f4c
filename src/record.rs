//! The captured request (or mail) as plain serde data: the record of
//! `docs/record.md`, shared by the journal, the exports, `verify` and the GUI.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Appends `value` to `out` as compact JSON, the way records and exports are
/// written: the same bytes serde_json writes (`tests/it/properties.rs` checks it),
/// by sonic-rs, whose SIMD string escaping keeps capture 5% faster (the capture
/// bench, paired against serde_json: `docs/performance.md`). Everything is read
/// back with serde_json, through the one reader ([`crate::ndjson`]).
pub fn append_json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> std::io::Result<()> {
    sonic_rs::to_writer(out, value).map_err(std::io::Error::other)
}

/// One captured request or mail, field for field the NDJSON journal line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Increasing from 1 within a journal; 0 until the journal assigns it.
    pub id: u64,
    /// How it came: an HTTP request, or a mail (older files have none: HTTP).
    #[serde(default)]
    pub transport: Transport,
    /// RFC 3339, UTC, milliseconds.
    pub received_at: String,
    /// `null` for a mail (held as empty).
    #[serde(with = "empty_as_null")]
    pub method: String,
    /// The request target as sent: path and query; `null` for a mail.
    #[serde(with = "empty_as_null")]
    pub path: String,
    pub remote_addr: String,
    /// In arrival order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body as text when it is UTF-8.
    pub body: Option<String>,
    /// The body in standard base64 when it is not UTF-8.
    pub body_base64: Option<String>,
    pub body_truncated: bool,
    pub token: Option<TokenInfo>,
    pub verification: Verification,
    pub events: Vec<Event>,
    pub response: Response,
    /// For a replay: the id of the record it sends again (absent when not a replay).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay_of: Option<u64>,
    /// For a mail: its envelope and what was read from it (absent for requests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Box<Email>>,
    /// For a record followed from a relay (`attach`): the relay and its id there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
}

/// Where a followed record was captured: the relay's URL and the record's id there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    pub relay: String,
    pub id: u64,
}

/// How a record came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    #[default]
    Http,
    /// A mail given to the SMTP sink (`--smtp`).
    Smtp,
    /// A mail read from a mailbox (`--imap`).
    Imap,
}

impl Transport {
    /// True for a mail.
    pub fn is_mail(self) -> bool {
        self != Transport::Http
    }
}

/// A mail's envelope and what was read from its message (`docs/record.md`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Email {
    /// The SMTP envelope (`MAIL FROM`, `RCPT TO`, the client's `HELO`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail_from: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rcpt_to: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub helo: Option<String>,
    /// The message's own fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// The plain text part, or the HTML's text when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Where an IMAP message was read (`--imap`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid_validity: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
}

/// An attachment of a mail: listed, never opened.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Attachment {
    pub filename: Option<String>,
    pub content_type: String,
    pub size: usize,
}

/// A string field that a mail has none of: written `null`, held as empty (an HTTP
/// request always has a method and a path).
mod empty_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &str, serializer: S) -> Result<S::Ok, S::Error> {
        if value.is_empty() {
            serializer.serialize_none()
        } else {
            serializer.serialize_str(value)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
        Ok(Option::<String>::deserialize(deserializer)?.unwrap_or_default())
    }
}

/// The token found in a request, decoded whether or not its signature holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// `body`, `json:<field>`, `form:<field>` or `header:authorization`.
    pub source: String,
    /// The compact token, whitespace around it removed.
    pub raw: String,
    /// The decoded JOSE header.
    pub header: Value,
    /// The decoded claims, `None` when the payload is not JSON.
    pub claims: Option<Value>,
}

/// What checking the token found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    /// What signs the request: `jwt` (Truora's hooks), `dkim` (a mail); `null`
    /// when nothing does (`unsigned`). Older files have none.
    #[serde(default)]
    pub scheme: Option<String>,
    pub signature: Signature,
    pub alg: Option<String>,
    /// 0-based index of the secret that verified the token.
    pub secret: Option<usize>,
    pub time: TimeState,
    pub detail: String,
    pub hints: Vec<String>,
    /// The signed timestamp (unix seconds) of schemes that sign one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
    /// The delivery's own id where the scheme has one (a mail's `Message-ID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

/// The signature verdict; the first failing check decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signature {
    Valid,
    Invalid,
    UnsupportedAlg,
    Malformed,
    /// Nothing signed in the request. Files written before 2026-12 say `not_jwt`.
    #[serde(alias = "not_jwt")]
    Unsigned,
    NoSecret,
}

impl Signature {
    /// Every verdict, in the order the GUI lists them.
    pub const ALL: [Signature; 6] = [
        Signature::Valid,
        Signature::Invalid,
        Signature::UnsupportedAlg,
        Signature::Malformed,
        Signature::Unsigned,
        Signature::NoSecret,
    ];

    /// The name, as in the record (docs/record.md).
    pub fn as_str(self) -> &'static str {
        match self {
            Signature::Valid => "valid",
            Signature::Invalid => "invalid",
            Signature::UnsupportedAlg => "unsupported_alg",
            Signature::Malformed => "malformed",
            Signature::Unsigned => "unsigned",
            Signature::NoSecret => "no_secret",
        }
    }

    /// A token that fails verification: a wrong MAC, or an algorithm no honest
    /// sender uses with a shared secret (`none`, RS256...). Shown, counted and
    /// flagged alike: both are what a forger sends.
    pub fn fails(self) -> bool {
        matches!(self, Signature::Invalid | Signature::UnsupportedAlg)
    }

    /// The words a person reads, e.g. on a badge.
    pub fn label(self) -> &'static str {
        match self {
            Signature::Valid => "Valid",
            Signature::Invalid => "Invalid",
            Signature::UnsupportedAlg => "Unsupported alg",
            Signature::Malformed => "Malformed",
            Signature::Unsigned => "Unsigned",
            Signature::NoSecret => "No secret",
        }
    }
}

/// The `exp`/`nbf` state, with 60 s of leeway; it never changes the signature verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeState {
    Ok,
    Expired,
    NotYetValid,
    Absent,
    /// `exp` or `nbf` is present but not a number.
    InvalidClaim,
}

impl TimeState {
    /// The token is not current by its own claims: expired, not yet valid, or
    /// `exp`/`nbf` that are not numbers.
    pub fn is_problem(self) -> bool {
        matches!(
            self,
            TimeState::Expired | TimeState::NotYetValid | TimeState::InvalidClaim
        )
    }
}

/// One Truora event carried by the token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub product: String,
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    pub action: Option<String>,
    pub id: Option<String>,
    pub subject: Option<String>,
}

/// What the sender got back.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Response {
    pub status: u16,
    pub forwarded: Option<Forwarded>,
    /// The listener's own reply body when it was not the default acknowledgement
    /// (`{"received":true,"id":ID}`): a chosen body, or an error's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The reply's `Content-Type` when it was not `application/json`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
}

/// The default acknowledgement's body for record `id`.
pub fn ack_body(id: u64) -> String {
    format!(r#"{{"received":true,"id":{id}}}"#)
}

/// The user's app's reply when forwarding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forwarded {
    pub url: String,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub elapsed_ms: u64,
    /// The app's reply body, cut at 64 KiB (absent when empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The app's reply `Content-Type` (absent when it sent none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
}

impl Verification {
    /// A verdict that names no secret.
    pub fn new(
        signature: Signature,
        alg: Option<String>,
        time: TimeState,
        detail: String,
        hints: Vec<String>,
    ) -> Verification {
        Verification {
            scheme: None,
            signature,
            alg,
            secret: None,
            time,
            detail,
            hints,
            timestamp: None,
            message_id: None,
        }
    }

    /// The verdict of a request with nothing signed: `unsigned`, with `detail`.
    pub fn unsigned(detail: &str) -> Verification {
        Verification::new(
            Signature::Unsigned,
            None,
            TimeState::Absent,
            detail.to_owned(),
            Vec::new(),
        )
    }
}

impl Record {
    /// What the sender got: the reply's headers and body, as the listener (or the
    /// app, when forwarding) sent them.
    pub fn reply(&self) -> (Vec<(String, String)>, String) {
        let response = &self.response;
        let (content_type, body) = match &response.forwarded {
            Some(forwarded) if forwarded.status.is_some() => (
                forwarded.content_type.clone(),
                forwarded.body.clone().unwrap_or_default(),
            ),
            // No answer from the app: the sender got the listener's error reply.
            Some(_) => (
                Some("application/json".to_owned()),
                response.body.clone().unwrap_or_default(),
            ),
            None => (
                Some(
                    response
                        .content_type
                        .clone()
                        .unwrap_or_else(|| "application/json".to_owned()),
                ),
                response.body.clone().unwrap_or_else(|| ack_body(self.id)),
            ),
        };
        let mut headers = Vec::new();
        if let Some(content_type) = content_type {
            headers.push(("content-type".to_owned(), content_type));
        }
        headers.push(("x-hookscope-id".to_owned(), self.id.to_string()));
        (headers, body)
    }
}

impl Record {
    /// A request before its token is looked at: id 0, no token, `unsigned`, a 200 reply.
    /// The listener fills in the rest; tests and benches start from it.
    pub fn request(
        received_at: &str,
        method: &str,
        path: &str,
        remote_addr: &str,
        headers: Vec<(String, String)>,
        body: &[u8],
    ) -> Record {
        let (body, body_base64) = Record::encode_body(body);
        Record {
            id: 0,
            transport: Transport::Http,
            received_at: received_at.to_owned(),
            method: method.to_owned(),
            path: path.to_owned(),
            remote_addr: remote_addr.to_owned(),
            headers,
            body,
            body_base64,
            body_truncated: false,
            token: None,
            verification: Verification::unsigned(""),
            events: Vec::new(),
            response: Response {
                status: 200,
                ..Response::default()
            },
            replay_of: None,
            email: None,
            origin: None,
        }
    }

    /// The body bytes as received (or as far as they were kept); borrowed when the
    /// body is text, so verifying a held record again copies nothing.
    pub fn body_bytes(&self) -> std::borrow::Cow<'_, [u8]> {
        use base64::Engine as _;
        match (&self.body, &self.body_base64) {
            (Some(text), _) => text.as_bytes().into(),
            (None, Some(b64)) => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap_or_default()
                .into(),
            (None, None) => (&[][..]).into(),
        }
    }

    /// Splits body bytes into the record's `body` / `body_base64` pair.
    pub fn encode_body(bytes: &[u8]) -> (Option<String>, Option<String>) {
        Record::encode_body_vec(bytes.to_vec())
    }

    /// Like [`Record::encode_body`], taking the bytes (no copy when they are UTF-8).
    pub fn encode_body_vec(bytes: Vec<u8>) -> (Option<String>, Option<String>) {
        use base64::Engine as _;
        match String::from_utf8(bytes) {
            Ok(text) => (Some(text), None),
            Err(err) => (
                None,
                Some(base64::engine::general_purpose::STANDARD.encode(err.as_bytes())),
            ),
        }
    }

    /// The size of the body as kept, in bytes.
    pub fn body_len(&self) -> usize {
        match (&self.body, &self.body_base64) {
            (Some(text), _) => text.len(),
            (None, Some(b64)) => b64.len() / 4 * 3,
            (None, None) => 0,
        }
    }
}

/// Unix milliseconds as a record timestamp (RFC 3339, UTC, milliseconds).
pub fn timestamp_ms(ms: i64) -> String {
    timestamp(jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH))
}

/// Now as the record's `received_at`.
pub fn now() -> String {
    timestamp(jiff::Timestamp::now())
}

/// An RFC 3339 timestamp (a record's `received_at`, an event's `timestamp`) as unix
/// milliseconds; `None` when it is not one.
pub fn millis(text: &str) -> Option<i64> {
    Some(text.parse::<jiff::Timestamp>().ok()?.as_millisecond())
}

/// A time as the record's `received_at`: RFC 3339, UTC, milliseconds.
pub fn timestamp(at: jiff::Timestamp) -> String {
    // Digit by digit: this runs for every captured request, and `write!` with
    // padded numbers costs more than the rest of the record's timestamps together.
    let at = jiff::tz::Offset::UTC.to_datetime(at);
    let mut out = String::with_capacity(24);
    let mut digits = |value: u32, width: u32, after: char| {
        for place in (0..width).rev() {
            let digit = value / 10u32.pow(place) % 10;
            out.push(char::from(b'0' + digit as u8));
        }
        if after != '\0' {
            out.push(after);
        }
    };
    let number = |n: i8| u32::from(n.unsigned_abs());
    digits(at.year().clamp(0, 9999) as u32, 4, '-');
    digits(number(at.month()), 2, '-');
    digits(number(at.day()), 2, 'T');
    digits(number(at.hour()), 2, ':');
    digits(number(at.minute()), 2, ':');
    digits(number(at.second()), 2, '.');
    digits(u32::from(at.millisecond().unsigned_abs()), 3, 'Z');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_old_name_of_unsigned_reads_as_unsigned_and_the_new_one_is_written() {
        let old: Signature = serde_json::from_str("\"not_jwt\"").unwrap();
        assert_eq!(old, Signature::Unsigned);
        assert_eq!(serde_json::to_string(&old).unwrap(), "\"unsigned\"");
        assert_eq!(Signature::Unsigned.as_str(), "unsigned");
    }

    #[test]
    fn timestamps_are_rfc3339_utc_millis() {
        let at: jiff::Timestamp = "2026-11-26T13:45:11.123456+02:00".parse().unwrap();
        assert_eq!(timestamp(at), "2026-11-26T11:45:11.123Z");
        let at: jiff::Timestamp = "2026-01-02T03:04:05Z".parse().unwrap();
        assert_eq!(timestamp(at), "2026-01-02T03:04:05.000Z");
        assert_eq!(
            millis("2026-01-02T03:04:05.000Z"),
            Some(at.as_millisecond())
        );
        assert_eq!(
            timestamp_ms(at.as_millisecond()),
            "2026-01-02T03:04:05.000Z"
        );
        assert_eq!(millis("yesterday"), None);
    }
}
