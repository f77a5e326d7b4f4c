cargo add hmac@0.12 sha2@0.10 base64@0.22
---
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
---
/// webhook-signature, space-separated `v1,<base64>` entries: the HMAC-SHA256 of
/// `{webhook-id}.{webhook-timestamp}.{body}` with the key after whsec_ (base64); any
/// one may match (while a secret is rotated), and the timestamp must be within 5
/// minutes of now.
fn verify(headers: &[(String, String)], body: &[u8], secret: &str) -> bool {
    let (Some(id), Some(timestamp)) = (header(headers, "webhook-id"), header(headers, "webhook-timestamp")) else {
        return false;
    };
    if id.is_empty() || !timestamp.parse::<i64>().is_ok_and(recent) {
        return false;
    }
    let Ok(key) = STANDARD.decode(secret.strip_prefix("whsec_").unwrap_or(secret)) else {
        return false;
    };
    let signatures = header(headers, "webhook-signature").unwrap_or_default();
    signatures.split_whitespace().any(|entry| {
        let Some(Ok(signature)) = entry.strip_prefix("v1,").map(|b64| STANDARD.decode(b64)) else {
            return false;
        };
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key) else {
            return false;
        };
        mac.update(format!("{id}.{timestamp}.").as_bytes());
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
