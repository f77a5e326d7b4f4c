//! Standard Webhooks (standardwebhooks.com; Svix sends the same as `svix-*`):
//! `webhook-signature: v1,<base64>` entries over `{id}.{timestamp}.{body}`, the
//! secret `whsec_` + base64 of the key.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::{Request, Sample, Scheme, Stamp};
use crate::record::{Event, Signature, Verification};
use crate::token::Secret;

pub struct StandardWebhooks;

/// The header names: the standard's, or Svix's own spelling.
fn names(request: &Request) -> Option<[&'static str; 3]> {
    [
        ["webhook-id", "webhook-timestamp", "webhook-signature"],
        ["svix-id", "svix-timestamp", "svix-signature"],
    ]
    .into_iter()
    .find(|names| request.header(names[2]).is_some())
}

/// The key a secret names: `whsec_` removed and the rest base64-decoded, as the
/// libraries read it (without the prefix, decoded too).
fn key(secret: &str) -> Option<Vec<u8>> {
    let text = secret.trim();
    STANDARD
        .decode(text.strip_prefix("whsec_").unwrap_or(text))
        .ok()
}

impl Scheme for StandardWebhooks {
    fn name(&self) -> &'static str {
        "standard_webhooks"
    }

    fn detect(&self, request: &Request) -> bool {
        names(request).is_some()
    }

    fn verify(&self, request: &Request, secrets: &[Secret]) -> Verification {
        let Some([id_name, ts_name, sig_name]) = names(request) else {
            return super::malformed("v1", "no signature header");
        };
        let id = request.header(id_name).map(str::to_owned);
        let Some(id) = id.filter(|id| !id.is_empty()) else {
            return super::malformed("v1", format!("{sig_name} is there, {id_name} is not"));
        };
        let Some(timestamp) = request.header(ts_name).and_then(|t| t.parse::<i64>().ok()) else {
            return super::malformed("v1", format!("{ts_name} is missing or not a number"));
        };
        let entries: Vec<&str> = request
            .header(sig_name)
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        let v1: Vec<Vec<u8>> = entries
            .iter()
            .filter_map(|e| e.strip_prefix("v1,"))
            .filter_map(|b64| STANDARD.decode(b64).ok())
            .collect();
        let finish = |mut v: Verification| {
            v.timestamp = Some(timestamp);
            v.message_id = Some(id.clone());
            v
        };
        if v1.is_empty() {
            return finish(if entries.iter().any(|e| e.starts_with("v1a,")) {
                super::verdict(
                    Signature::UnsupportedAlg,
                    "v1a",
                    "only a v1a (asymmetric) signature: hookscope checks v1 (HMAC-SHA256)"
                        .to_owned(),
                )
            } else {
                super::malformed("v1", format!("{sig_name} holds no v1,<base64> entry"))
            });
        }
        if secrets.is_empty() {
            return finish(super::no_secret("v1"));
        }
        let time = super::time_of(timestamp, request.received_at);
        let signed = |body: &[u8], key: &[u8]| {
            let mac = super::hmac_sha256(
                key,
                &[
                    id.as_bytes(),
                    b".",
                    timestamp.to_string().as_bytes(),
                    b".",
                    body,
                ],
            );
            v1.iter().any(|sig| super::same(sig, &mac))
        };
        let mut v = super::decide(self.name(), "v1", secrets, request.body, time, |body, s| {
            key(s.text()).is_some_and(|k| signed(body, &k))
        });
        if v.signature == Signature::Valid {
            return finish(v);
        }
        for secret in secrets {
            // Read the Stripe way: the whole text as the key.
            if signed(request.body, secret.text().as_bytes()) {
                v.hints.insert(0, format!(
                    "secret #{} verifies when taken as raw bytes (as Stripe reads its whsec_ secrets); Standard Webhooks base64-decodes the part after whsec_: check which the sender uses",
                    secret.index() + 1
                ));
            }
        }
        if secrets.iter().all(|s| key(s.text()).is_none()) {
            v.hints.push("no secret is base64 (after whsec_): a Standard Webhooks secret is whsec_ followed by base64".to_owned());
        }
        finish(v)
    }

    fn timestamped(&self) -> bool {
        true
    }

    fn key(&self, secret: &str) -> Vec<u8> {
        key(secret).unwrap_or_default()
    }

    fn mac(&self, key: &[u8], stamp: &Stamp) -> String {
        STANDARD.encode(super::hmac_sha256(
            key,
            &[
                stamp.id.as_bytes(),
                b".",
                stamp.timestamp.to_string().as_bytes(),
                b".",
                stamp.body,
            ],
        ))
    }

    fn headers(&self, timestamp: i64, id: &str, signatures: &[String]) -> Vec<(String, String)> {
        let mut headers = vec![
            ("webhook-id".to_owned(), id.to_owned()),
            ("webhook-timestamp".to_owned(), timestamp.to_string()),
        ];
        if !signatures.is_empty() {
            let entries: Vec<String> = signatures.iter().map(|s| format!("v1,{s}")).collect();
            headers.push(("webhook-signature".to_owned(), entries.join(" ")));
        }
        headers
    }

    fn rotates(&self) -> bool {
        true
    }

    fn sample(&self, n: u64, now: i64) -> Sample {
        let body = serde_json::json!({
            "type": "invoice.paid",
            "timestamp": crate::record::timestamp_ms(now.saturating_mul(1000)),
            "data": {
                "id": super::id("inv_", n),
                "customer": super::id("cus_", n),
                "amount_paid": 4900,
                "currency": "usd"
            }
        });
        Sample {
            body: super::body(&body),
            headers: vec![("Content-Type".to_owned(), "application/json".to_owned())],
            id: super::id("msg_", n),
        }
    }

    fn signed_prefix(&self, timestamp: i64, id: &str) -> String {
        format!("{id}.{timestamp}.")
    }

    fn title(&self) -> &'static str {
        "Standard Webhooks"
    }

    super::receiver_code!("standard_webhooks");

    fn event(&self, request: &Request, message_id: Option<&str>) -> Event {
        let body = request.json().unwrap_or_default();
        Event {
            product: self.name().to_owned(),
            event_type: body["type"].as_str().map(str::to_owned),
            action: None,
            id: message_id.map(str::to_owned),
            subject: body["data"]["id"].as_str().map(str::to_owned),
        }
    }
}
