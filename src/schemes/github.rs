//! GitHub: `X-Hub-Signature-256: sha256=<hex>` over the raw body; failing that, the
//! legacy `X-Hub-Signature: sha1=<hex>` (HMAC-SHA1, with a hint).

use hmac::{Hmac, Mac};

use super::stripe::hex;
use super::{Request, Sample, Scheme, Stamp, Weaker};
use crate::record::{Event, Verification};
use crate::token::Secret;

pub struct Github;

impl Scheme for Github {
    fn name(&self) -> &'static str {
        "github"
    }

    fn detect(&self, request: &Request) -> bool {
        request.header("x-hub-signature-256").is_some()
            || request.header("x-hub-signature").is_some()
    }

    fn verify(&self, request: &Request, secrets: &[Secret]) -> Verification {
        let delivery = request.header("x-github-delivery").map(str::to_owned);
        let (alg, value) = match request.header("x-hub-signature-256") {
            Some(value) => ("sha256", value),
            None => (
                "sha1",
                request.header("x-hub-signature").unwrap_or_default(),
            ),
        };
        let finish = |mut v: Verification| {
            v.message_id = delivery.clone();
            if alg == "sha1" {
                v.hints.push("only the legacy X-Hub-Signature (HMAC-SHA1) came: GitHub sends X-Hub-Signature-256 too; verify that one".to_owned());
            }
            v
        };
        let Some(signature) = value.strip_prefix(&format!("{alg}=")).and_then(hex) else {
            return finish(super::malformed(
                alg,
                format!("the signature is not {alg}=<hex>"),
            ));
        };
        if secrets.is_empty() {
            return finish(super::no_secret(alg));
        }
        let mac = |key: &[u8], body: &[u8]| -> Vec<u8> {
            match alg {
                "sha1" => hmac_sha1(key, body),
                _ => super::hmac_sha256(key, &[body]),
            }
        };
        finish(super::decide(
            self.name(),
            alg,
            secrets,
            request.body,
            crate::record::TimeState::Absent,
            |body, secret| super::same(&signature, &mac(secret.text().as_bytes(), body)),
        ))
    }

    fn mac(&self, key: &[u8], stamp: &Stamp) -> String {
        format!(
            "sha256={}",
            super::to_hex(&super::hmac_sha256(key, &[stamp.body]))
        )
    }

    fn headers(&self, _timestamp: i64, _id: &str, signatures: &[String]) -> Vec<(String, String)> {
        signatures
            .iter()
            .take(1)
            .map(|s| ("X-Hub-Signature-256".to_owned(), s.clone()))
            .collect()
    }

    /// GitHub still sends the legacy SHA-1 header beside the SHA-256 one.
    fn extra(&self, key: &[u8], stamp: &Stamp) -> Vec<(String, String)> {
        vec![(
            "X-Hub-Signature".to_owned(),
            format!("sha1={}", super::to_hex(&hmac_sha1(key, stamp.body))),
        )]
    }

    fn weaker(&self, key: &[u8], stamp: &Stamp) -> Option<Weaker> {
        Some(Weaker {
            case: "sha1_only",
            required: false,
            headers: self.extra(key, stamp),
            advice: "a request with only the legacy X-Hub-Signature (HMAC-SHA1) was accepted: verify X-Hub-Signature-256, which GitHub always sends",
        })
    }

    fn sample(&self, n: u64, _now: i64) -> Sample {
        let body = serde_json::json!({
            "action": "opened",
            "issue": {
                "id": 1_000_000 + n,
                "number": n % 1000 + 1,
                "title": "The webhook receiver refuses genuine deliveries",
                "state": "open",
                "user": {"login": "octocat", "id": 583231}
            },
            "repository": {
                "id": 1296269,
                "name": "hello-world",
                "full_name": "octo-org/hello-world",
                "private": false
            },
            "sender": {"login": "octocat", "id": 583231}
        });
        let id = super::uuid(n);
        Sample {
            body: super::body(&body),
            headers: vec![
                ("Content-Type".to_owned(), "application/json".to_owned()),
                (
                    "User-Agent".to_owned(),
                    "GitHub-Hookshot/8e1f1a2".to_owned(),
                ),
                ("X-GitHub-Event".to_owned(), "issues".to_owned()),
                ("X-GitHub-Delivery".to_owned(), id.clone()),
                ("X-GitHub-Hook-ID".to_owned(), "491254369".to_owned()),
            ],
            id,
        }
    }

    fn title(&self) -> &'static str {
        "GitHub"
    }

    super::receiver_code!("github");

    fn event(&self, request: &Request, message_id: Option<&str>) -> Event {
        let body = request.json().unwrap_or_default();
        Event {
            product: self.name().to_owned(),
            event_type: request.header("x-github-event").map(str::to_owned),
            action: body["action"].as_str().map(str::to_owned),
            id: message_id.map(str::to_owned),
            subject: body["repository"]["full_name"].as_str().map(str::to_owned),
        }
    }
}

/// HMAC-SHA1, GitHub's legacy signature.
fn hmac_sha1(key: &[u8], body: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length: `new_from_slice` cannot fail.
    let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}
