//! What the benches share: the secret and a Truora-shaped token of about 650 bytes.

#![allow(clippy::unwrap_used, dead_code)]

use serde_json::json;

/// The value after option `name` on the command line, else `default`.
pub fn option(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_owned())
}

/// The secret every bench signs and verifies with.
pub const SECRET: &str = "truora-hook-secret-0123456789abcdef";

/// A Truora-shaped HS256 token of about 650 bytes.
pub fn token() -> String {
    let claims = json!({
        "iss": "Truora", "iat": 1714000000,
        "events": [{
            "id": "HKE6a1f0e3c9b2d4f5a8e7c6b5a4d3c2b1a", "event_type": "digital_identity.identity_process",
            "event_action": "succeeded", "version": "1.0", "timestamp": "2026-04-24T10:00:00Z",
            "object": {"process_id": "IDP9f8e7d6c5b4a39281706f5e4d3c2b1a0", "flow_id": "IPF1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d",
                       "account_id": "ACC0123456789abcdef0123456789abcdef", "status": "success", "country": "CO"}
        }]
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

/// The reference's `jsonwebtoken` settings: HS256, the signature only (no claim is
/// required or checked), as hookscope's verdict is.
pub fn reference_validation() -> jsonwebtoken::Validation {
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation
}
