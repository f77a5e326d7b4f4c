cargo add hmac@0.12 sha2@0.10 hex@0.4
---
use hmac::{Hmac, Mac};
use sha2::Sha256;
---
/// Stripe-Signature, `t=<unix>,v1=<hex>[,v1=...]`: the HMAC-SHA256 of `{t}.{body}`
/// with the whole whsec_... secret; any one v1 may match (while a secret is rotated),
/// v0 never counts, and t must be within 5 minutes of now.
fn verify(headers: &[(String, String)], body: &[u8], secret: &str) -> bool {
    let value = header(headers, "stripe-signature").unwrap_or_default();
    let pairs: Vec<(&str, &str)> = value.split(',').filter_map(|p| p.trim().split_once('=')).collect();
    let Some(timestamp) = pairs.iter().find(|(k, _)| *k == "t").map(|(_, v)| *v) else {
        return false;
    };
    if !timestamp.parse::<i64>().is_ok_and(recent) {
        return false;
    }
    pairs.iter().filter(|(k, _)| *k == "v1").any(|(_, v1)| {
        let Ok(signature) = hex::decode(v1) else {
            return false;
        };
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
            return false;
        };
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        // Constant time, and the whole length.
        mac.verify_slice(&signature).is_ok()
    })
}

/// Whether unix time `t` is within 5 minutes of now, either way.
fn recent(t: i64) -> bool {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    (now - t).abs() <= 300
}
