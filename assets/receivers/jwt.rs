cargo add jsonwebtoken@11 --no-default-features --features rust_crypto
cargo add serde_json{SETUP}
---
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
---
/// Takes the token ({WHERE}) and checks it with the secret and {ALG} only, the
/// algorithm never taken from the token's header.
fn verify(headers: &[(String, String)], body: &[u8], secret: &str) -> bool {
    // Only {ALG}; Truora sends no exp and no aud, so neither is required.
    let mut validation = Validation::new(Algorithm::{ALG});
    validation.required_spec_claims.clear();
    validation.validate_aud = false;
    {TOKEN}
    match decode::<serde_json::Value>(&token, &DecodingKey::from_secret(secret.as_bytes()), &validation) {
        Ok(data) => {
            println!("hook {}", data.claims["events"]);
            true
        }
        Err(_) => false,
    }
}
