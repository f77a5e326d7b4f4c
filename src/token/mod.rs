//! Tokens in requests: find one, decode it, verify it, explain what failed.

pub mod find;
pub mod hints;
pub mod mac;
pub mod place;
pub mod secret;
pub mod sign;
pub mod verify;

pub use secret::{Secret, SecretEncoding, SecretError};
pub use verify::Verifier;

use crate::record::{Event, Record, TokenInfo, Verification};

/// What the token of one request says: the record's `token`, `verification` and `events`.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub token: Option<TokenInfo>,
    pub verification: Verification,
    pub events: Vec<Event>,
}

/// Fills a [`Record`]'s `token`, `verification` and `events`: the record stays plain
/// data, and finding, verifying and classifying its token live here.
pub trait Analyze {
    /// This request's token found, verified with `verifier` at unix time `now`, and
    /// classified: what the listener does for each request, and the window again
    /// after a secret change.
    fn analysis(&self, verifier: &Verifier, now: i64) -> Analysis;

    /// Sets `token`, `verification` and `events` from [`Analyze::analysis`].
    fn analyze(&mut self, verifier: &Verifier, now: i64);
}

impl Analyze for Record {
    fn analysis(&self, verifier: &Verifier, now: i64) -> Analysis {
        if self.transport.is_mail() {
            // A mail's verdict is its DKIM check, made when it came (the keys are
            // in DNS, not among the secrets): kept as it was.
            return Analysis {
                token: None,
                verification: self.verification.clone(),
                events: self.events.clone(),
            };
        }
        analyze(
            &self.body_bytes(),
            self.body_truncated,
            &self.headers,
            verifier,
            now,
        )
    }

    fn analyze(&mut self, verifier: &Verifier, now: i64) {
        let analysis = self.analysis(verifier, now);
        self.token = analysis.token;
        self.verification = analysis.verification;
        self.events = analysis.events;
    }
}

/// Finds, checks and classifies the token of a request. `now` is unix seconds.
pub fn analyze(
    body: &[u8],
    body_truncated: bool,
    headers: &[(String, String)],
    verifier: &Verifier,
    now: i64,
) -> Analysis {
    // A webhook signed the way another provider signs it (in a header) is that
    // scheme's; the JWT is looked for otherwise.
    let request = crate::schemes::Request {
        body,
        headers,
        received_at: now,
    };
    if let Some((verification, events)) = crate::schemes::analyze(&request, verifier.secrets()) {
        return Analysis {
            token: None,
            verification,
            events,
        };
    }
    let mut analysis = match find::find(body, body_truncated, headers) {
        Some(candidate) => analyze_candidate(candidate, verifier, now),
        None => unsigned(body_truncated),
    };
    analysis
        .verification
        .hints
        .extend(hints::for_request(body, headers));
    analysis
}

/// Like [`analyze`] for text given on its own (`hookscope verify`): searched as a body.
pub fn analyze_text(text: &[u8], verifier: &Verifier, now: i64) -> Analysis {
    let mut analysis = match find::find_in_body(text) {
        Some(candidate) => analyze_candidate(candidate, verifier, now),
        None => unsigned(false),
    };
    analysis
        .verification
        .hints
        .extend(hints::for_request(text, &[]));
    analysis
}

fn analyze_candidate(candidate: find::Candidate, verifier: &Verifier, now: i64) -> Analysis {
    let mut checked = verifier.check_decoded(
        &candidate.raw,
        Some(candidate.header),
        candidate.had_whitespace,
        now,
    );
    let events = checked
        .claims
        .as_ref()
        .map(crate::truora::classify)
        .unwrap_or_default();
    checked.verification.scheme = Some("jwt".to_owned());
    Analysis {
        token: Some(TokenInfo {
            source: candidate.source,
            raw: candidate.raw,
            header: checked.header,
            claims: checked.claims,
        }),
        verification: checked.verification,
        events,
    }
}

fn unsigned(body_truncated: bool) -> Analysis {
    let (detail, hints) = if body_truncated {
        (
            "no token found: the body was cut at --max-body and is not searched",
            vec!["raise --max-body if hooks this large are expected".to_owned()],
        )
    } else {
        (
            "no token found in the body, a JSON or form field, or an Authorization: Bearer header",
            Vec::new(),
        )
    };
    let mut verification = Verification::unsigned(detail);
    verification.hints = hints;
    Analysis {
        token: None,
        verification,
        events: Vec::new(),
    }
}

/// Now as unix seconds.
pub fn unix_now() -> i64 {
    jiff::Timestamp::now().as_second()
}
