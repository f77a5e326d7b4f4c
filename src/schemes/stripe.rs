//! Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=...]` over `{t}.{body}`, the
//! whole `whsec_...` string as the key.

use base64::Engine as _;

use super::{Request, Sample, Scheme, Stamp, Weaker};
use crate::record::{Event, Signature, Verification};
use crate::token::Secret;

pub struct Stripe;

impl Scheme for Stripe {
    fn name(&self) -> &'static str {
        "stripe"
    }

    fn detect(&self, request: &Request) -> bool {
        request.header("stripe-signature").is_some()
    }

    fn verify(&self, request: &Request, secrets: &[Secret]) -> Verification {
        let header = request.header("stripe-signature").unwrap_or_default();
        let pairs: Vec<(&str, &str)> = header
            .split(',')
            .filter_map(|p| p.trim().split_once('='))
            .collect();
        let message_id = request
            .json()
            .and_then(|b| b["id"].as_str().map(str::to_owned));
        let Some(timestamp) = pairs
            .iter()
            .find(|(k, _)| *k == "t")
            .and_then(|(_, v)| v.parse::<i64>().ok())
        else {
            let mut v = super::malformed("v1", "Stripe-Signature has no t=<unix time>");
            v.message_id = message_id;
            return v;
        };
        let v1: Vec<&str> = pairs
            .iter()
            .filter(|(k, _)| *k == "v1")
            .map(|(_, v)| *v)
            .collect();
        let finish = |mut v: Verification| {
            v.timestamp = Some(timestamp);
            v.message_id = message_id.clone();
            v
        };
        if v1.is_empty() {
            return finish(if pairs.iter().any(|(k, _)| *k == "v0") {
                super::verdict(
                    Signature::UnsupportedAlg,
                    "v0",
                    "only a v0 signature (Stripe's test scheme): hookscope checks v1".to_owned(),
                )
            } else {
                super::malformed("v1", "Stripe-Signature has no v1=<hex>")
            });
        }
        let signatures: Vec<Vec<u8>> = v1.iter().filter_map(|h| hex(h)).collect();
        if signatures.is_empty() {
            let mut v = super::malformed("v1", "the v1 signatures are not hex");
            if v1
                .iter()
                .any(|s| base64::engine::general_purpose::STANDARD.decode(s).is_ok())
            {
                v.hints
                    .push("the signature is base64 where Stripe writes hex".to_owned());
            }
            return finish(v);
        }
        if secrets.is_empty() {
            return finish(super::no_secret("v1"));
        }
        let time = super::time_of(timestamp, request.received_at);
        let signed = |body: &[u8], key: &[u8]| {
            let mac = super::hmac_sha256(key, &[timestamp.to_string().as_bytes(), b".", body]);
            signatures.iter().any(|sig| super::same(sig, &mac))
        };
        let mut v = super::decide(self.name(), "v1", secrets, request.body, time, |body, s| {
            signed(body, s.text().trim().as_bytes())
        });
        if v.signature == Signature::Valid {
            if time == crate::record::TimeState::NotYetValid {
                v.hints.push("Stripe's own libraries accept a timestamp from the future; most receivers do not".to_owned());
            }
            return finish(v);
        }
        for secret in secrets {
            let text = secret.text().trim();
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(text.strip_prefix("whsec_").unwrap_or(text));
            if decoded.is_ok_and(|k| signed(request.body, &k)) {
                v.hints.insert(0, format!(
                    "secret #{} verifies when its part after whsec_ is base64-decoded (as Standard Webhooks reads it); Stripe uses the whole string as it is",
                    secret.index() + 1
                ));
            }
        }
        finish(v)
    }

    fn timestamped(&self) -> bool {
        true
    }

    fn mac(&self, key: &[u8], stamp: &Stamp) -> String {
        super::to_hex(&super::hmac_sha256(
            key,
            &[stamp.timestamp.to_string().as_bytes(), b".", stamp.body],
        ))
    }

    fn headers(&self, timestamp: i64, _id: &str, signatures: &[String]) -> Vec<(String, String)> {
        if signatures.is_empty() {
            return Vec::new();
        }
        let mut value = format!("t={timestamp}");
        for signature in signatures {
            value.push_str(&format!(",v1={signature}"));
        }
        vec![("Stripe-Signature".to_owned(), value)]
    }

    fn rotates(&self) -> bool {
        true
    }

    fn accepts_future(&self) -> bool {
        true
    }

    fn weaker(&self, key: &[u8], stamp: &Stamp) -> Option<Weaker> {
        Some(Weaker {
            case: "v0_only",
            required: true,
            headers: vec![(
                "Stripe-Signature".to_owned(),
                format!("t={},v0={}", stamp.timestamp, self.mac(key, stamp)),
            )],
            advice: "a request signed only with v0 (Stripe's test scheme) was accepted: verify the v1 signatures alone",
        })
    }

    fn sample(&self, n: u64, now: i64) -> Sample {
        let id = super::id("evt_", n);
        let body = serde_json::json!({
            "id": id,
            "object": "event",
            "api_version": "2024-06-20",
            "created": now,
            "data": {"object": {
                "id": super::id("pi_", n),
                "object": "payment_intent",
                "amount": 2000,
                "currency": "usd",
                "status": "succeeded"
            }},
            "livemode": false,
            "pending_webhooks": 1,
            "request": {"id": null, "idempotency_key": null},
            "type": "payment_intent.succeeded"
        });
        Sample {
            body: super::body(&body),
            headers: vec![
                (
                    "Content-Type".to_owned(),
                    "application/json; charset=utf-8".to_owned(),
                ),
                (
                    "User-Agent".to_owned(),
                    "Stripe/1.0 (+https://stripe.com/docs/webhooks)".to_owned(),
                ),
            ],
            id,
        }
    }

    fn signed_prefix(&self, timestamp: i64, _id: &str) -> String {
        format!("{timestamp}.")
    }

    fn title(&self) -> &'static str {
        "Stripe"
    }

    super::receiver_code!("stripe");

    fn event(&self, request: &Request, message_id: Option<&str>) -> Event {
        let body = request.json().unwrap_or_default();
        Event {
            product: self.name().to_owned(),
            event_type: body["type"].as_str().map(str::to_owned),
            action: None,
            id: message_id.map(str::to_owned),
            subject: body["data"]["object"]["id"].as_str().map(str::to_owned),
        }
    }
}

/// Bytes of a hex string (`None` when it is not hex).
pub fn hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}
