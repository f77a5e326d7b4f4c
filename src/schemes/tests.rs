//! Each scheme against requests signed as its provider documents it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::*;
use crate::token::SecretEncoding;

const BODY: &[u8] = br#"{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1"},"id":"msg_data"}}"#;
const NOW: i64 = 1_800_000_000;

fn secrets(texts: &[&str]) -> Vec<Secret> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| Secret::new(t, SecretEncoding::Utf8, i).unwrap())
        .collect()
}

fn hexed(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn verdict_of(
    headers: &[(&str, String)],
    body: &[u8],
    keys: &[&str],
    now: i64,
) -> (Verification, Vec<Event>) {
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| ((*n).to_owned(), v.clone()))
        .collect();
    let request = Request {
        body,
        headers: &headers,
        received_at: now,
    };
    analyze(&request, &secrets(keys)).expect("a scheme")
}

#[test]
fn stripe_signatures_the_whole_secret_and_every_v1() {
    let secret = "whsec_test_secret";
    let t = NOW - 10;
    let good = hexed(&hmac_sha256(
        secret.as_bytes(),
        &[t.to_string().as_bytes(), b".", BODY],
    ));
    let header = format!("t={t},v1={},v1={good},v0=abc", "00".repeat(32));
    let (v, events) = verdict_of(&[("Stripe-Signature", header)], BODY, &[secret], NOW);
    assert_eq!(
        (v.signature, v.scheme.as_deref(), v.alg.as_deref()),
        (Signature::Valid, Some("stripe"), Some("v1"))
    );
    assert_eq!(
        (v.time, v.timestamp, v.message_id.as_deref()),
        (TimeState::Ok, Some(t), Some("evt_1"))
    );
    assert_eq!(
        events[0].event_type.as_deref(),
        Some("payment_intent.succeeded")
    );
    assert_eq!(events[0].subject.as_deref(), Some("pi_1"));
    // Stale: the MAC is right, the time is not.
    let old = NOW - 900;
    let sig = hexed(&hmac_sha256(
        secret.as_bytes(),
        &[old.to_string().as_bytes(), b".", BODY],
    ));
    let (v, _) = verdict_of(
        &[("Stripe-Signature", format!("t={old},v1={sig}"))],
        BODY,
        &[secret],
        NOW,
    );
    assert_eq!(
        (v.signature, v.time),
        (Signature::Valid, TimeState::Expired)
    );
    assert!(
        v.hints
            .iter()
            .any(|h| h.contains("more than 5 minutes old"))
    );
    // v0 alone, and no t=.
    let (v, _) = verdict_of(
        &[("Stripe-Signature", format!("t={t},v0=ab"))],
        BODY,
        &[secret],
        NOW,
    );
    assert_eq!(v.signature, Signature::UnsupportedAlg);
    let (v, _) = verdict_of(
        &[("Stripe-Signature", format!("v1={good}"))],
        BODY,
        &[secret],
        NOW,
    );
    assert_eq!(v.signature, Signature::Malformed);
}

#[test]
fn standard_webhooks_decode_the_secret_and_name_the_other_reading() {
    let key = b"0123456789abcdef0123456789abcdef";
    let secret = format!("whsec_{}", STANDARD.encode(key));
    let (id, t) = ("msg_2", NOW);
    let sign = |key: &[u8], body: &[u8]| {
        STANDARD.encode(hmac_sha256(
            key,
            &[id.as_bytes(), b".", t.to_string().as_bytes(), b".", body],
        ))
    };
    let headers = |sig: String| {
        vec![
            ("webhook-id", id.to_owned()),
            ("webhook-timestamp", t.to_string()),
            ("webhook-signature", sig),
        ]
    };
    let good = format!("v1,{} v1,{}", sign(b"another key", BODY), sign(key, BODY));
    let (v, events) = verdict_of(&headers(good), BODY, &[&secret], NOW);
    assert_eq!(
        (v.signature, v.message_id.as_deref()),
        (Signature::Valid, Some("msg_2"))
    );
    assert_eq!(events[0].subject.as_deref(), Some("msg_data"));
    // Signed with the whole string as the key (Stripe's reading): named.
    let (v, _) = verdict_of(
        &headers(format!("v1,{}", sign(secret.as_bytes(), BODY))),
        BODY,
        &[&secret],
        NOW,
    );
    assert_eq!(v.signature, Signature::Invalid);
    assert!(
        v.hints.iter().any(|h| h.contains("raw bytes (as Stripe")),
        "{:?}",
        v.hints
    );
    // Signed over the same JSON written pretty: re-serialised on the way.
    let pretty =
        serde_json::to_vec_pretty(&serde_json::from_slice::<serde_json::Value>(BODY).unwrap())
            .unwrap();
    let (v, _) = verdict_of(
        &headers(format!("v1,{}", sign(key, &pretty))),
        BODY,
        &[&secret],
        NOW,
    );
    assert!(
        v.hints.iter().any(|h| h.contains("re-serialised")),
        "{:?}",
        v.hints
    );
    // Svix's spelling, and v1a alone.
    let svix = vec![
        ("svix-id", id.to_owned()),
        ("svix-timestamp", t.to_string()),
        ("svix-signature", format!("v1,{}", sign(key, BODY))),
    ];
    assert_eq!(
        verdict_of(&svix, BODY, &[&secret], NOW).0.signature,
        Signature::Valid
    );
    let (v, _) = verdict_of(&headers("v1a,abcd".to_owned()), BODY, &[&secret], NOW);
    assert_eq!(v.signature, Signature::UnsupportedAlg);
}

#[test]
fn github_shopify_and_slack() {
    let secret = "It's a Secret to Everybody";
    // GitHub's own example (docs: "Validating webhook deliveries").
    let body = b"Hello, World!";
    let (v, _) = verdict_of(
        &[(
            "X-Hub-Signature-256",
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17".to_owned(),
        )],
        body,
        &[secret],
        NOW,
    );
    assert_eq!(
        (v.signature, v.alg.as_deref(), v.time),
        (Signature::Valid, Some("sha256"), TimeState::Absent)
    );
    let (v, _) = verdict_of(
        &[("X-Hub-Signature", "sha1=00".to_owned())],
        body,
        &[secret],
        NOW,
    );
    assert!(
        v.hints.iter().any(|h| h.contains("legacy")),
        "{:?}",
        v.hints
    );
    // Shopify: base64; hex is named.
    let mac = hmac_sha256(secret.as_bytes(), &[BODY]);
    let (v, _) = verdict_of(
        &[("X-Shopify-Hmac-Sha256", STANDARD.encode(&mac))],
        BODY,
        &[secret],
        NOW,
    );
    assert_eq!(v.signature, Signature::Valid);
    let (v, _) = verdict_of(
        &[("X-Shopify-Hmac-Sha256", hexed(&mac))],
        BODY,
        &[secret],
        NOW,
    );
    assert_eq!(v.signature, Signature::Malformed);
    assert!(
        v.hints
            .iter()
            .any(|h| h.contains("hex where Shopify writes base64"))
    );
    // Slack: v0 over v0:{ts}:{body}.
    let t = NOW - 30;
    let sig = hexed(&hmac_sha256(
        secret.as_bytes(),
        &[b"v0:", t.to_string().as_bytes(), b":", BODY],
    ));
    let (v, _) = verdict_of(
        &[
            ("X-Slack-Signature", format!("v0={sig}")),
            ("X-Slack-Request-Timestamp", t.to_string()),
        ],
        BODY,
        &[secret],
        NOW,
    );
    assert_eq!((v.signature, v.time), (Signature::Valid, TimeState::Ok));
    let (v, _) = verdict_of(
        &[("X-Slack-Signature", format!("v0={sig}"))],
        BODY,
        &[secret],
        NOW,
    );
    assert_eq!(v.signature, Signature::Malformed);
    // No secret set.
    let (v, _) = verdict_of(
        &[("X-Shopify-Hmac-Sha256", STANDARD.encode(&mac))],
        BODY,
        &[],
        NOW,
    );
    assert_eq!(v.signature, Signature::NoSecret);
}
