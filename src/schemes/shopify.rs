//! Shopify: `X-Shopify-Hmac-Sha256: <base64>` of HMAC-SHA256 over the raw body.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::{Request, Scheme};
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
