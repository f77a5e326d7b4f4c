//! `hookscope probe` against real receivers on real sockets: one that verifies as it
//! should, and one per classic mistake, each failing exactly its own cases. And a
//! Python receiver with PyJWT when Python and PyJWT are on the machine.

use crate::support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use support::SECRET;

/// How a test receiver checks a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Receiver {
    /// HS256 only, the whole MAC compared in constant time.
    Correct,
    /// Takes any spelling of `none` as "nothing to verify".
    AcceptsNone,
    /// Uses the algorithm the header names, with the shared secret as the key.
    AlgFromHeader,
    /// Compares only as many bytes as the received signature has.
    TruncatedCompare,
    /// Decodes the claims and never verifies.
    NeverChecks,
}

fn decode_json(segment: &str) -> Option<Value> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).ok()?).ok()
}

fn hs256(input: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(input.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

impl Receiver {
    fn accepts(self, token: &str) -> bool {
        let parts: Vec<&str> = token.split('.').collect();
        if parts.len() != 3 {
            return false;
        }
        let (Some(header), Some(Value::Object(_))) = (decode_json(parts[0]), decode_json(parts[1]))
        else {
            return false;
        };
        let alg = header["alg"].as_str().unwrap_or_default();
        let input = format!("{}.{}", parts[0], parts[1]);
        let Ok(signature) = URL_SAFE_NO_PAD.decode(parts[2]) else {
            return false;
        };
        let whole = |signature: &[u8]| {
            let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
            mac.update(input.as_bytes());
            mac.verify_slice(signature).is_ok()
        };
        match self {
            Receiver::Correct => alg == "HS256" && whole(&signature),
            Receiver::AcceptsNone if alg.eq_ignore_ascii_case("none") => true,
            Receiver::AcceptsNone => alg == "HS256" && whole(&signature),
            Receiver::AlgFromHeader => match alg {
                // The "public key" is the shared secret: RS256/ES256 become HMAC.
                "HS256" | "RS256" | "ES256" => whole(&signature),
                _ => false,
            },
            Receiver::TruncatedCompare => alg == "HS256" && hs256(&input).starts_with(&signature),
            Receiver::NeverChecks => true,
        }
    }
}

/// A receiver on a real socket: finds the token in the body, a JSON or form
/// `token` field, or `Authorization: Bearer`; 200 when it accepts, 401 otherwise.
fn serve(receiver: Receiver) -> SocketAddr {
    support::app(move |seen| {
        let text = String::from_utf8_lossy(&seen.body).trim().to_owned();
        let bearer = seen
            .header("authorization")
            .and_then(|v| v.strip_prefix("Bearer "));
        let token = match bearer {
            Some(token) => token.to_owned(),
            None => match serde_json::from_str::<Value>(&text) {
                Ok(Value::Object(fields)) => fields
                    .get("token")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                _ => text
                    .strip_prefix("token=")
                    .map_or_else(|| text.clone(), str::to_owned),
            },
        };
        if receiver.accepts(&token) {
            ("200 OK", "")
        } else {
            ("401 Unauthorized", "")
        }
    })
}

/// Runs the real binary's probe; returns its exit code and report.
fn probe(url: &str, extra: &[&str]) -> (i32, Value) {
    let output = std::process::Command::new(support::bin())
        .args(["probe", "--to", url, "--json", "--secret", SECRET])
        .args(extra)
        .env_remove("HOOKSCOPE_SECRET")
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "no JSON report: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().unwrap(), report)
}

fn failed_required(report: &Value) -> BTreeSet<String> {
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["required"] == true && c["passed"] == false)
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

#[test]
fn a_correct_receiver_passes_every_required_case_wherever_the_token_goes() {
    let addr = serve(Receiver::Correct);
    for placement in ["body", "json", "form", "bearer"] {
        let (code, report) = probe(&format!("http://{addr}/hooks"), &["--as", placement]);
        assert_eq!(
            failed_required(&report),
            set(&[]),
            "{placement}: {report:#}"
        );
        assert_eq!(code, 0);
        assert_eq!(report["passed"], true);
        let cases = report["cases"].as_array().unwrap();
        assert_eq!(cases.len(), 15);
        let replayed = cases.iter().find(|c| c["name"] == "replayed").unwrap();
        assert_eq!(replayed["required"], false);
        assert!(replayed["advice"].as_str().unwrap().contains("event id"));
        for case in cases {
            for field in [
                "expect",
                "status",
                "error",
                "elapsed_ms",
                "passed",
                "advice",
            ] {
                assert!(case.get(field).is_some(), "{field} missing in {case}");
            }
        }
    }
}

#[test]
fn each_classic_mistake_fails_exactly_its_cases() {
    let forged = [
        "wrong_secret",
        "tampered_claims",
        "alg_none",
        "alg_none_case",
        "alg_none_signed",
        "empty_signature",
        "truncated_signature",
        "alg_confusion",
    ];
    let expectations: [(Receiver, &[&str]); 4] = [
        (
            Receiver::AcceptsNone,
            &["alg_none", "alg_none_case", "alg_none_signed"],
        ),
        (Receiver::AlgFromHeader, &["alg_confusion"]),
        (
            Receiver::TruncatedCompare,
            &["empty_signature", "truncated_signature"],
        ),
        (Receiver::NeverChecks, &forged),
    ];
    for (receiver, expected) in expectations {
        let addr = serve(receiver);
        let (code, report) = probe(&format!("http://{addr}/"), &[]);
        assert_eq!(failed_required(&report), set(expected), "{receiver:?}");
        assert_eq!(code, 1, "{receiver:?}");
        for case in report["cases"].as_array().unwrap() {
            if case["passed"] == false {
                assert!(case["advice"].as_str().is_some_and(|a| !a.is_empty()));
            }
        }
    }
}

#[test]
fn the_scorecard_names_the_failures_and_a_dead_receiver_fails_every_case() {
    let addr = serve(Receiver::AcceptsNone);
    let output = std::process::Command::new(support::bin())
        .args([
            "probe",
            "--to",
            &format!("http://{addr}/"),
            "--secret",
            SECRET,
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("alg_none             refuse  200"), "{text}");
    assert!(
        text.contains("FAIL: 3 of 12 required cases failed"),
        "{text}"
    );
    assert!(text.contains("allow-list"), "{text}");

    // Nothing listening: no answer is neither accepting nor refusing.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (code, report) = probe(&format!("http://{closed}/"), &["--timeout-ms", "2000"]);
    assert_eq!(code, 1);
    assert_eq!(failed_required(&report).len(), 12);
    assert!(
        report["cases"][0]["error"]
            .as_str()
            .unwrap()
            .contains("connect")
    );
}

#[test]
fn a_python_receiver_that_never_verifies_is_caught() {
    let has_pyjwt = std::process::Command::new("python3")
        .args(["-c", "import jwt"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_pyjwt {
        eprintln!("skipped: needs python3 with PyJWT (pip install pyjwt; .ci/run installs it)");
        return;
    }
    // The mistake copied from a debugging session: the claims are read with
    // verification switched off.
    let script = r#"
import http.server, jwt, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode().strip()
        try:
            jwt.decode(body, options={"verify_signature": False})
            self.send_response(200)
        except Exception:
            self.send_response(401)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), H)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut port = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut port)
        .unwrap();
    let (code, report) = probe(&format!("http://127.0.0.1:{}/", port.trim()), &[]);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(code, 1);
    let failed = failed_required(&report);
    for name in [
        "wrong_secret",
        "tampered_claims",
        "truncated_signature",
        "alg_confusion",
    ] {
        assert!(failed.contains(name), "{name} passed: {report:#}");
    }
    assert!(!failed.contains("genuine"), "{report:#}");
}

/// A Slack receiver on a real socket: the MAC over `v0:{timestamp}:{body}` with
/// the secret, and, unless it `skips_time`, the timestamp within 5 minutes.
fn slack_receiver(skips_time: bool) -> SocketAddr {
    support::app(move |seen| {
        let timestamp = seen
            .header("x-slack-request-timestamp")
            .unwrap_or_default()
            .to_owned();
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(format!("v0:{timestamp}:").as_bytes());
        mac.update(&seen.body);
        let expected: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let signed = seen.header("x-slack-signature") == Some(format!("v0={expected}").as_str());
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let recent = timestamp
            .parse::<i64>()
            .is_ok_and(|t| (now - t).abs() <= 300);
        if signed && (skips_time || recent) {
            ("200 OK", "")
        } else {
            ("401 Unauthorized", "")
        }
    })
}

#[test]
fn a_scheme_receiver_that_skips_the_timestamp_fails_exactly_the_timestamp_cases() {
    let correct = slack_receiver(false);
    let (code, report) = probe(&format!("http://{correct}/slack"), &["--scheme", "slack"]);
    assert_eq!(failed_required(&report), set(&[]), "{report}");
    assert_eq!(code, 0);
    let names: Vec<&str> = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "genuine",
            "wrong_secret",
            "tampered_body",
            "missing_signature",
            "empty_signature",
            "truncated_signature",
            "stale_timestamp",
            "timestamp_swapped",
            "future_timestamp",
            "replayed"
        ]
    );
    let careless = slack_receiver(true);
    let (code, report) = probe(&format!("http://{careless}/slack"), &["--scheme", "slack"]);
    assert_eq!(
        failed_required(&report),
        set(&["stale_timestamp", "future_timestamp"]),
        "{report}"
    );
    assert_eq!(code, 1);
}
