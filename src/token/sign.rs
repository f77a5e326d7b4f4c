//! The one place tokens are made: signed as Truora signs them (`send`, test hooks),
//! and forged on purpose with any header (the probe's forgeries, the editor's
//! *Edit and send*).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde_json::Value;

/// Signs `claims` with an HMAC secret, as Truora signs a hook.
pub fn sign(
    claims: &Value,
    secret: &[u8],
    alg: Algorithm,
) -> Result<String, jsonwebtoken::errors::Error> {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(alg),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
}

/// The HMAC of `input` under `alg`, base64url (HS256 for any other name: the
/// alg-confusion forgery signs an RS256/ES256 header with the shared secret).
pub fn mac(input: &str, key: &[u8], alg: Algorithm) -> String {
    let alg = match alg {
        Algorithm::HS384 | Algorithm::HS512 => alg,
        _ => Algorithm::HS256,
    };
    jsonwebtoken::crypto::sign(
        input.as_bytes(),
        &jsonwebtoken::EncodingKey::from_secret(key),
        alg,
    )
    .unwrap_or_default()
}

/// `header.payload` of a compact JWS: what its signature covers. Any header, as
/// written: a forgery's header need not be one jsonwebtoken would make.
pub fn signing_input(header: &Value, claims: &Value) -> String {
    format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    )
}

/// A compact JWS over `header` and `claims`, its MAC made with `key` under `alg`.
pub fn jws(header: &Value, claims: &Value, key: &[u8], alg: Algorithm) -> String {
    let input = signing_input(header, claims);
    let signature = mac(&input, key, alg);
    format!("{input}.{signature}")
}

/// Bytes as base64url without padding, as a JWS segment.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forged_header_signed_with_the_secret_is_the_token_jsonwebtoken_makes() {
        let claims = serde_json::json!({"iss": "Truora", "n": 1});
        let secret = b"sign-secret-sign-secret-sign-secret";
        let made = sign(&claims, secret, Algorithm::HS256).unwrap();
        let header: Value = serde_json::json!({"typ": "JWT", "alg": "HS256"});
        assert_eq!(jws(&header, &claims, secret, Algorithm::HS256), made);
    }
}
