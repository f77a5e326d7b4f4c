//! Slack: `X-Slack-Signature: v0=<hex>` of HMAC-SHA256 over `v0:{timestamp}:{body}`,
//! the timestamp in `X-Slack-Request-Timestamp`.

use super::stripe::hex;
use super::{Request, Scheme};
use crate::record::{Event, Signature, Verification};
use crate::token::Secret;

pub struct Slack;

impl Scheme for Slack {
    fn name(&self) -> &'static str {
        "slack"
    }

    fn detect(&self, request: &Request) -> bool {
        request.header("x-slack-signature").is_some()
    }

    fn verify(&self, request: &Request, secrets: &[Secret]) -> Verification {
        let Some(timestamp) = request
            .header("x-slack-request-timestamp")
            .and_then(|t| t.parse::<i64>().ok())
        else {
            return super::malformed("v0", "X-Slack-Request-Timestamp is missing or not a number");
        };
        let finish = |mut v: Verification| {
            v.timestamp = Some(timestamp);
            v
        };
        let Some(signature) = request
            .header("x-slack-signature")
            .and_then(|s| s.strip_prefix("v0="))
            .and_then(hex)
        else {
            return finish(super::malformed("v0", "X-Slack-Signature is not v0=<hex>"));
        };
        if secrets.is_empty() {
            return finish(super::no_secret("v0"));
        }
        let time = super::time_of(timestamp, request.received_at);
        let signed = |body: &[u8], key: &[u8]| {
            let mac =
                super::hmac_sha256(key, &[b"v0:", timestamp.to_string().as_bytes(), b":", body]);
            super::same(&signature, &mac)
        };
        if let Some(secret) = secrets
            .iter()
            .find(|s| signed(request.body, s.text().as_bytes()))
        {
            let mut v = super::verdict(
                Signature::Valid,
                "v0",
                format!("signature verified with secret #{}", secret.index() + 1),
            );
            v.secret = Some(secret.index());
            v.time = time;
            v.hints.extend(super::stale_hint(time));
            return finish(v);
        }
        let mut v = super::verdict(
            Signature::Invalid,
            "v0",
            "the signature matches no secret".to_owned(),
        );
        v.time = time;
        if secrets.iter().any(|s| {
            super::reserialised(request.body)
                .iter()
                .any(|b| signed(b, s.text().as_bytes()))
        }) {
            v.hints.push(super::RESERIALISED.to_owned());
        }
        v.hints.extend(super::secret_hints(secrets, self.name()));
        finish(v)
    }

    fn event(&self, request: &Request, message_id: Option<&str>) -> Event {
        let body = request.json().unwrap_or_default();
        let event_type = body["event"]["type"]
            .as_str()
            .or_else(|| body["type"].as_str())
            .map(str::to_owned);
        Event {
            product: self.name().to_owned(),
            event_type,
            action: None,
            id: message_id
                .map(str::to_owned)
                .or_else(|| body["event_id"].as_str().map(str::to_owned)),
            subject: body["team_id"].as_str().map(str::to_owned),
        }
    }
}
