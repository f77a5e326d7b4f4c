//! Probing the user's own receiver: genuine hooks it must accept, and the forgeries a
//! forger tries (`alg: none`, the algorithm taken from the header, a cut or empty
//! signature, a changed claim) that it must refuse. Each case says, when it fails,
//! what the receiver must check. The other signed webhooks have their own cases
//! ([`schemes`]: `probe --scheme`).

mod schemes;

use std::time::Duration;

use bytes::Bytes;
use jsonwebtoken::Algorithm;
use serde::Serialize;
use serde_json::{Value, json};

use crate::send::{Outgoing, SendError};
use crate::token::sign::{b64, jws, mac};

/// What the receiver should do with a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// Answer 2xx.
    Accept,
    /// Answer with an HTTP status that is not 2xx.
    Refuse,
}

/// Where the token goes in the request (`--as`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Placement {
    /// The body itself, `application/jwt` (as Truora sends it).
    #[default]
    Body,
    /// `{"token": "..."}`, `application/json`.
    Json,
    /// `token=...`, `application/x-www-form-urlencoded`.
    Form,
    /// `Authorization: Bearer ...` and an empty body.
    Bearer,
}

/// One request of a case: a token, a body of its own, or a whole request (a
/// signature scheme's, headers and all).
#[derive(Debug, Clone)]
enum Payload {
    Token(String),
    Raw {
        content_type: &'static str,
        body: &'static str,
    },
    Request(Outgoing),
}

/// A case before it is sent.
#[derive(Debug, Clone)]
struct Case {
    name: &'static str,
    expect: Expect,
    required: bool,
    /// Every request must get the expected answer for the case to pass.
    payloads: Vec<Payload>,
    /// What the receiver must check, said when the case fails.
    advice: &'static str,
}

/// The answer to one case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseReport {
    pub name: String,
    pub expect: Expect,
    pub required: bool,
    /// The status that decided the case (the first unexpected one, else the last).
    pub status: Option<u16>,
    pub error: Option<String>,
    pub elapsed_ms: u64,
    pub passed: bool,
    pub advice: Option<String>,
}

/// The whole probe (`--json` prints it as is).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub target: String,
    /// Every required case passed.
    pub passed: bool,
    pub cases: Vec<CaseReport>,
}

impl Report {
    /// The names of the required cases that failed.
    pub fn failed(&self) -> Vec<&str> {
        self.cases
            .iter()
            .filter(|c| c.required && !c.passed)
            .map(|c| c.name.as_str())
            .collect()
    }
}

/// How to probe.
#[derive(Debug, Clone)]
pub struct Options {
    pub target: String,
    /// The receiver's secret (key bytes): genuine hooks are signed with it.
    pub key: Vec<u8>,
    /// Probe a receiver of another signed-webhook scheme (`--scheme`), with the
    /// secret as its provider hands it out.
    pub scheme: Option<(crate::schemes::Name, String)>,
    pub placement: Placement,
    pub timeout: Duration,
    /// Unix seconds, for `iat` and the expired case.
    pub now: i64,
}

/// The names of the required cases, in the order they are sent.
pub const REQUIRED: [&str; 12] = [
    "genuine",
    "genuine_batch",
    "wrong_secret",
    "tampered_claims",
    "alg_none",
    "alg_none_case",
    "alg_none_signed",
    "empty_signature",
    "truncated_signature",
    "alg_confusion",
    "not_a_jwt",
    "empty_body",
];

/// The names of the advisory cases, sent after the required ones.
pub const ADVISORY: [&str; 3] = ["crit_extension", "expired", "replayed"];

/// A Truora-shaped digital identity event, with ids of the probe's own.
fn event(n: u64, now: i64) -> Value {
    json!({
        "id": format!("HKEPROBE{n:06}"),
        "event_type": "digital_identity.identity_process",
        "event_action": "succeeded",
        "object": {
            "identity_process_id": format!("IDPPROBE{n:06}"),
            "flow_id": "IPFPROBE",
            "account_id": "ACCPROBE",
            "validation_status": "success"
        },
        "version": "1.0",
        "timestamp": crate::record::timestamp_ms(now.saturating_mul(1000)),
    })
}

fn cases(options: &Options) -> Vec<Case> {
    if let Some((name, secret)) = &options.scheme {
        return schemes::cases(name.scheme(), secret, options.now);
    }
    let key = options.key.as_slice();
    let now = options.now;
    let hs256 = json!({"alg": "HS256", "typ": "JWT"});
    let claims = json!({"iss": "Truora", "iat": now, "events": [event(1, now)]});
    let genuine = jws(&hs256, &claims, key, Algorithm::HS256);
    let (input, signature) = genuine.rsplit_once('.').unwrap_or((&genuine, ""));
    let payload_segment = input.split_once('.').map_or("", |(_, p)| p);
    let batch = json!({"iss": "Truora", "iat": now, "events": [event(2, now), event(3, now)]});
    let mut tampered_claims = claims.clone();
    tampered_claims["events"][0]["object"]["validation_status"] = json!("failure");
    let tampered = format!(
        "{}.{}.{signature}",
        b64(hs256.to_string().as_bytes()),
        b64(tampered_claims.to_string().as_bytes())
    );
    let header = |alg: &str| b64(json!({"alg": alg, "typ": "JWT"}).to_string().as_bytes());
    let unsigned = |alg: &str| format!("{}.{payload_segment}.", header(alg));
    let confused = |alg: &str| {
        let input = format!("{}.{payload_segment}", header(alg));
        let signature = mac(&input, key, Algorithm::HS256);
        format!("{input}.{signature}")
    };
    // Cut on a 4-character boundary, so that the half still decodes (15 bytes of 32).
    let half = &signature[..signature.len() / 2 / 4 * 4];
    let token = |t: String| Payload::Token(t);
    let crit_header = json!({"alg": "HS256", "typ": "JWT", "crit": ["x-hookscope-probe"], "x-hookscope-probe": true});
    let mut expired_claims = claims.clone();
    expired_claims["exp"] = json!(now - 3600);
    vec![
        Case {
            name: "genuine",
            expect: Expect::Accept,
            required: true,
            payloads: vec![token(genuine.clone())],
            advice: "a hook signed HS256 with your secret must be accepted: check the secret (is it this hook's?), that the raw body is verified before any parsing, and that only HS256 is allowed",
        },
        Case {
            name: "genuine_batch",
            expect: Expect::Accept,
            required: true,
            payloads: vec![token(jws(&hs256, &batch, key, Algorithm::HS256))],
            advice: "a token may carry several events in \"events\": accept it and handle each event",
        },
        Case {
            name: "wrong_secret",
            expect: Expect::Refuse,
            required: true,
            payloads: vec![token(jws(
                &hs256,
                &claims,
                b"not-the-hook-secret-hookscope-probe-0",
                Algorithm::HS256,
            ))],
            advice: "a token signed with another secret was accepted: the signature is not verified against your secret (verify before using any claim)",
        },
        Case {
            name: "tampered_claims",
            expect: Expect::Refuse,
            required: true,
            payloads: vec![token(tampered)],
            advice: "a claim changed after signing was accepted: verify the signature over the exact header.payload received, not over claims re-encoded",
        },
        Case {
            name: "alg_none",
            expect: Expect::Refuse,
            required: true,
            payloads: vec![token(unsigned("none"))],
            advice: "an unsigned token (alg \"none\") was accepted: pass an explicit allow-list of algorithms (golang-jwt: jwt.WithValidMethods([]string{\"HS256\"}); jsonwebtoken (Node): algorithms: ['HS256']; PyJWT: algorithms=[\"HS256\"])",
        },
        Case {
            name: "alg_none_case",
            expect: Expect::Refuse,
            required: true,
            payloads: vec![
                token(unsigned("None")),
                token(unsigned("NONE")),
                token(unsigned("nOnE")),
            ],
            advice: "\"none\" in another case was accepted: compare the algorithm exactly against an allow-list holding only HS256, never with a case-insensitive deny-list",
        },
        Case {
            name: "alg_none_signed",
            expect: Expect::Refuse,
            required: true,
            payloads: vec![token(format!(
                "{}.{payload_segment}.{signature}",
                header("none")
            ))],
            advice: "alg \"none\" with a signature attached was accepted: refuse any algorithm but HS256 before looking at the signature",
        },
        Case {
            name: "empty_signature",
            expect: Expect::Refuse,
            required: true,
            payloads: vec![token(format!("{input}."))],
            advice: "an HS256 token with no signature was accepted: compare the whole computed MAC with the whole received one (constant time, equal length)",
        },
        Case {
            name: "truncated_signature",
            expect: Expect::Refuse,
            required: true,
            payloads: vec![token(format!("{input}.{half}"))],
            advice: "half a signature was accepted: the comparison stops at the shorter one; compare full lengths (hmac.compare_digest, crypto.timingSafeEqual after a length check, hmac.Equal)",
        },
        Case {
            name: "alg_confusion",
            expect: Expect::Refuse,
            required: true,
            payloads: vec![token(confused("RS256")), token(confused("ES256"))],
            advice: "a token whose header says RS256/ES256, MAC'd with your secret, was accepted: the algorithm is taken from the header; fix it to HS256 in the verifier",
        },
        Case {
            name: "not_a_jwt",
            expect: Expect::Refuse,
            required: true,
            payloads: vec![Payload::Raw {
                content_type: "application/json",
                body: r#"{"event":"digital_identity.identity_process","note":"no token here"}"#,
            }],
            advice: "a request without a token was accepted: answer 401 when no verified token is found",
        },
        Case {
            name: "empty_body",
            expect: Expect::Refuse,
            required: true,
            payloads: vec![Payload::Raw {
                content_type: "application/jwt",
                body: "",
            }],
            advice: "an empty request was accepted: answer 400/401 when there is no token",
        },
        Case {
            name: "crit_extension",
            expect: Expect::Refuse,
            required: false,
            payloads: vec![token(jws(&crit_header, &claims, key, Algorithm::HS256))],
            advice: "a token with a \"crit\" header extension was accepted; RFC 7515 §4.1.11 says to refuse extensions the receiver does not understand (Truora never sends one)",
        },
        Case {
            name: "expired",
            expect: Expect::Refuse,
            required: false,
            payloads: vec![token(jws(&hs256, &expired_claims, key, Algorithm::HS256))],
            advice: "a token whose exp passed an hour ago was accepted; Truora sends no exp, so this is allowed, but a library that checks exp would refuse it",
        },
        Case {
            name: "replayed",
            expect: Expect::Accept,
            required: false,
            payloads: vec![token(genuine)],
            advice: "the genuine hook sent again was refused; Truora retries deliveries: answer 2xx and process each event id once",
        },
    ]
}

/// The request for one payload, placed as asked.
fn outgoing(payload: &Payload, placement: Placement) -> Outgoing {
    match payload {
        Payload::Raw { content_type, body } => Outgoing {
            content_type: (*content_type).to_owned(),
            body: Bytes::from_static(body.as_bytes()),
            ..Outgoing::default()
        },
        Payload::Request(outgoing) => outgoing.clone(),
        Payload::Token(token) => match placement {
            Placement::Body => Outgoing {
                content_type: "application/jwt".to_owned(),
                body: Bytes::from(token.clone()),
                ..Outgoing::default()
            },
            Placement::Json => Outgoing {
                content_type: "application/json".to_owned(),
                body: Bytes::from(json!({ "token": token }).to_string()),
                ..Outgoing::default()
            },
            Placement::Form => Outgoing {
                content_type: "application/x-www-form-urlencoded".to_owned(),
                headers: Vec::new(),
                authorization: None,
                body: Bytes::from(
                    form_urlencoded::Serializer::new(String::new())
                        .append_pair("token", token)
                        .finish(),
                ),
            },
            Placement::Bearer => Outgoing {
                content_type: "application/json".to_owned(),
                authorization: Some(format!("Bearer {token}")),
                headers: Vec::new(),
                body: Bytes::new(),
            },
        },
    }
}

/// Sends every case, one request at a time, and reports.
pub async fn run(options: &Options) -> Report {
    let mut reports = Vec::new();
    for case in cases(options) {
        reports.push(run_case(&case, options).await);
    }
    let passed = reports.iter().all(|c| c.passed || !c.required);
    Report {
        target: options.target.clone(),
        passed,
        cases: reports,
    }
}

async fn run_case(case: &Case, options: &Options) -> CaseReport {
    let mut report = CaseReport {
        name: case.name.to_owned(),
        expect: case.expect,
        required: case.required,
        status: None,
        error: None,
        elapsed_ms: 0,
        passed: true,
        advice: None,
    };
    for payload in &case.payloads {
        let result = crate::send::request(
            &options.target,
            outgoing(payload, options.placement),
            options.timeout,
        )
        .await;
        match result {
            Ok(delivery) => {
                report.elapsed_ms += delivery.elapsed.as_millis() as u64;
                report.status = Some(delivery.status);
                let accepted = crate::health::is_success(delivery.status);
                if accepted != (case.expect == Expect::Accept) {
                    report.passed = false;
                    break;
                }
            }
            Err(err) => {
                // No HTTP answer is neither accepting nor refusing.
                report.status = None;
                report.error = Some(describe(&err));
                report.passed = false;
                break;
            }
        }
    }
    if !report.passed {
        report.advice = Some(case.advice.to_owned());
    } else if case.name == "replayed" {
        report.advice = Some(
            "accepted again, as it should be; make sure each event id is processed once (senders retry)"
                .to_owned(),
        );
    }
    report
}

fn describe(err: &SendError) -> String {
    match err {
        SendError::Timeout(after) => format!("no answer within {} ms", after.as_millis()),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> Options {
        Options {
            target: "http://127.0.0.1:9/".to_owned(),
            key: b"probe-secret-0123456789abcdef0123".to_vec(),
            scheme: None,
            placement: Placement::Body,
            timeout: Duration::from_secs(1),
            now: 1_800_000_000,
        }
    }

    #[test]
    fn every_case_is_named_as_the_contract_says_and_verifies_as_expected() {
        let options = options();
        let cases = cases(&options);
        let names: Vec<&str> = cases.iter().map(|c| c.name).collect();
        let expected: Vec<&str> = REQUIRED.iter().chain(ADVISORY.iter()).copied().collect();
        assert_eq!(names, expected);
        // hookscope's own verifier is a correct receiver: it agrees with every case.
        let secret = crate::token::Secret::new(
            "probe-secret-0123456789abcdef0123",
            crate::token::SecretEncoding::Utf8,
            0,
        )
        .unwrap();
        let verifier = crate::token::Verifier::new(vec![secret]);
        for case in &cases {
            for payload in &case.payloads {
                let body = outgoing(payload, Placement::Body).body;
                let analysis = crate::token::analyze(&body, false, &[], &verifier, options.now);
                let valid = analysis.verification.signature == crate::record::Signature::Valid;
                let accepts = match case.name {
                    // hookscope reports time apart from the signature.
                    "expired" => {
                        valid && analysis.verification.time == crate::record::TimeState::Ok
                    }
                    _ => valid,
                };
                assert_eq!(
                    accepts,
                    case.expect == Expect::Accept,
                    "{}: {:?}",
                    case.name,
                    analysis.verification
                );
            }
        }
    }
}
