cargo add hmac@0.12 sha2@0.10 hex@0.4
---
use hmac::{Hmac, Mac};
use sha2::Sha256;
---
/// X-Hub-Signature-256, `sha256=` and the hex HMAC-SHA256 of the raw body; the legacy
/// SHA-1 header alone is not enough.
fn verify(headers: &[(String, String)], body: &[u8], secret: &str) -> bool {
    let Some(Ok(signature)) = header(headers, "x-hub-signature-256")
        .and_then(|v| v.strip_prefix("sha256="))
        .map(hex::decode)
    else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    // Constant time, and the whole length.
    mac.verify_slice(&signature).is_ok()
}
