cargo add hmac@0.12 sha2@0.10 base64@0.22
---
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
---
/// X-Shopify-Hmac-Sha256: the base64 HMAC-SHA256 of the raw body.
fn verify(headers: &[(String, String)], body: &[u8], secret: &str) -> bool {
    let Some(Ok(signature)) = header(headers, "x-shopify-hmac-sha256").map(|v| STANDARD.decode(v)) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    // Constant time, and the whole length.
    mac.verify_slice(&signature).is_ok()
}
