//! GitHub: `X-Hub-Signature-256: sha256=<hex>` over the raw body; failing that, the
//! legacy `X-Hub-Signature: sha1=<hex>` (HMAC-SHA1, with a hint).

use hmac::{Hmac, Mac};

use super::stripe::hex;
use super::{Request, Scheme};
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
                "sha1" => {
                    let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(key)
                        .unwrap_or_else(|_| unreachable!());
                    mac.update(body);
                    mac.finalize().into_bytes().to_vec()
                }
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
