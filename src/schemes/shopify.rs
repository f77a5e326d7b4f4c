//! Shopify: `X-Shopify-Hmac-Sha256: <base64>` of HMAC-SHA256 over the raw body.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::{Request, Sample, Scheme, Stamp};
use crate::record::{Event, Verification};
use crate::token::Secret;

pub struct Shopify;

impl Scheme for Shopify {
    fn name(&self) -> &'static str {
        "shopify"
    }

    fn detect(&self, request: &Request) -> bool {
        request.header("x-shopify-hmac-sha256").is_some()
    }

    fn verify(&self, request: &Request, secrets: &[Secret]) -> Verification {
        let id = request.header("x-shopify-webhook-id").map(str::to_owned);
        let finish = |mut v: Verification| {
            v.message_id = id.clone();
            v
        };
        let value = request.header("x-shopify-hmac-sha256").unwrap_or_default();
        let Some(signature) = STANDARD.decode(value).ok().filter(|s| s.len() == 32) else {
            let mut v = super::malformed(
                "sha256",
                "X-Shopify-Hmac-Sha256 is not the base64 of a SHA-256 MAC",
            );
            if super::stripe::hex(value).is_some_and(|h| h.len() == 32) {
                v.hints
                    .push("the signature is hex where Shopify writes base64".to_owned());
            }
            return finish(v);
        };
        if secrets.is_empty() {
            return finish(super::no_secret("sha256"));
        }
        finish(super::decide(
            self.name(),
            "sha256",
            secrets,
            request.body,
            crate::record::TimeState::Absent,
            |body, secret| {
                super::same(
                    &signature,
                    &super::hmac_sha256(secret.text().as_bytes(), &[body]),
                )
            },
        ))
    }

    fn mac(&self, key: &[u8], stamp: &Stamp) -> String {
        STANDARD.encode(super::hmac_sha256(key, &[stamp.body]))
    }

    fn headers(&self, _timestamp: i64, _id: &str, signatures: &[String]) -> Vec<(String, String)> {
        signatures
            .iter()
            .take(1)
            .map(|s| ("X-Shopify-Hmac-Sha256".to_owned(), s.clone()))
            .collect()
    }

    fn sample(&self, n: u64, now: i64) -> Sample {
        let body = serde_json::json!({
            "id": 820_982_911_946_154_508_u64 + n,
            "email": "jon@example.com",
            "created_at": crate::record::timestamp_ms(now.saturating_mul(1000)),
            "currency": "USD",
            "total_price": "199.00",
            "financial_status": "paid",
            "line_items": [{"id": 466_157_049, "title": "IPod Nano - 8gb", "quantity": 1, "price": "199.00"}]
        });
        let id = super::uuid(n);
        Sample {
            body: super::body(&body),
            headers: vec![
                ("Content-Type".to_owned(), "application/json".to_owned()),
                ("User-Agent".to_owned(), "Shopify-Captain-Hook".to_owned()),
                ("X-Shopify-Topic".to_owned(), "orders/create".to_owned()),
                (
                    "X-Shopify-Shop-Domain".to_owned(),
                    "hookscope-test.myshopify.com".to_owned(),
                ),
                ("X-Shopify-API-Version".to_owned(), "2024-07".to_owned()),
                ("X-Shopify-Webhook-Id".to_owned(), id.clone()),
                (
                    "X-Shopify-Triggered-At".to_owned(),
                    crate::record::timestamp_ms(now.saturating_mul(1000)),
                ),
            ],
            id,
        }
    }

    fn title(&self) -> &'static str {
        "Shopify"
    }

    super::receiver_code!("shopify");

    fn event(&self, request: &Request, message_id: Option<&str>) -> Event {
        let body = request.json().unwrap_or_default();
        Event {
            product: self.name().to_owned(),
            event_type: request.header("x-shopify-topic").map(str::to_owned),
            action: None,
            id: message_id.map(str::to_owned),
            subject: match &body["id"] {
                serde_json::Value::Null => None,
                id => Some(id.as_str().map_or_else(|| id.to_string(), str::to_owned)),
            },
        }
    }
}
