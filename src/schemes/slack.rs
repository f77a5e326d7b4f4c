//! Slack: `X-Slack-Signature: v0=<hex>` of HMAC-SHA256 over `v0:{timestamp}:{body}`,
//! the timestamp in `X-Slack-Request-Timestamp`.

use super::stripe::hex;
use super::{Request, Sample, Scheme, Stamp};
use crate::record::{Event, Verification};
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
        let stamp = timestamp.to_string();
        finish(super::decide(
            self.name(),
            "v0",
            secrets,
            request.body,
            time,
            |body, secret| {
                let mac = super::hmac_sha256(
                    secret.text().as_bytes(),
                    &[b"v0:", stamp.as_bytes(), b":", body],
                );
                super::same(&signature, &mac)
            },
        ))
    }

    fn timestamped(&self) -> bool {
        true
    }

    fn mac(&self, key: &[u8], stamp: &Stamp) -> String {
        format!(
            "v0={}",
            super::to_hex(&super::hmac_sha256(
                key,
                &[
                    b"v0:",
                    stamp.timestamp.to_string().as_bytes(),
                    b":",
                    stamp.body
                ],
            ))
        )
    }

    fn headers(&self, timestamp: i64, _id: &str, signatures: &[String]) -> Vec<(String, String)> {
        let mut headers = vec![(
            "X-Slack-Request-Timestamp".to_owned(),
            timestamp.to_string(),
        )];
        headers.extend(
            signatures
                .iter()
                .take(1)
                .map(|s| ("X-Slack-Signature".to_owned(), s.clone())),
        );
        headers
    }

    fn sample(&self, n: u64, now: i64) -> Sample {
        let id = format!("Ev{:010X}", n % 0xff_ffff_ffff);
        let body = serde_json::json!({
            "token": "Jhj5dZrVaK7ZwHHjRyZWjbDl",
            "team_id": "T0HOOKSCOP",
            "api_app_id": "A0HOOKSCOP",
            "event": {
                "type": "app_mention",
                "user": "U061F7AUR",
                "text": "<@U0LAN0Z89> is the webhook receiver up?",
                "ts": format!("{now}.000200"),
                "channel": "C0LAN2Q65",
                "event_ts": format!("{now}.000200")
            },
            "type": "event_callback",
            "event_id": id,
            "event_time": now
        });
        Sample {
            body: super::body(&body),
            headers: vec![
                ("Content-Type".to_owned(), "application/json".to_owned()),
                (
                    "User-Agent".to_owned(),
                    "Slackbot 1.0 (+https://api.slack.com/robots)".to_owned(),
                ),
            ],
            id,
        }
    }

    fn signed_prefix(&self, timestamp: i64, _id: &str) -> String {
        format!("v0:{timestamp}:")
    }

    fn title(&self) -> &'static str {
        "Slack"
    }

    super::receiver_code!("slack");

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
