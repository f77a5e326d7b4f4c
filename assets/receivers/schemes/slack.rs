cargo add hmac@0.12 sha2@0.10 hex@0.4
---
use hmac::{Hmac, Mac};
use sha2::Sha256;
---
/// X-Slack-Signature, `v0=` and the hex HMAC-SHA256 of
/// `v0:{X-Slack-Request-Timestamp}:{body}`; the timestamp must be within 5 minutes.
fn verify(headers: &[(String, String)], body: &[u8], secret: &str) -> bool {
    let Some(timestamp) = header(headers, "x-slack-request-timestamp") else {
        return false;
    };
    if !timestamp.parse::<i64>().is_ok_and(recent) {
        return false;
    }
    let Some(Ok(signature)) = header(headers, "x-slack-signature")
        .and_then(|v| v.strip_prefix("v0="))
        .map(hex::decode)
    else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(format!("v0:{timestamp}:").as_bytes());
    mac.update(body);
    // Constant time, and the whole length.
    mac.verify_slice(&signature).is_ok()
}

/// Whether unix time `t` is within 5 minutes of now, either way.
fn recent(t: i64) -> bool {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    (now - t).abs() <= 300
}
