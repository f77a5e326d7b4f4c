//! HMAC with the key absorbed once per secret: verifying a token then costs one
//! clone of the keyed state and the hash of the signing input, compared in constant time.

use hmac::{Hmac, Mac};
use jsonwebtoken::Algorithm;
use sha2::{Sha256, Sha384, Sha512};

/// A secret's HMAC states for HS256, HS384 and HS512.
#[derive(Clone)]
pub struct Keyed {
    hs256: Hmac<Sha256>,
    hs384: Hmac<Sha384>,
    hs512: Hmac<Sha512>,
}

impl Keyed {
    /// Absorbs `key` (HMAC accepts keys of any length).
    pub fn new(key: &[u8]) -> Keyed {
        // `new_from_slice` only fails for fixed-size keys, which HMAC does not have.
        Keyed {
            hs256: Mac::new_from_slice(key).unwrap_or_else(|_| unreachable!()),
            hs384: Mac::new_from_slice(key).unwrap_or_else(|_| unreachable!()),
            hs512: Mac::new_from_slice(key).unwrap_or_else(|_| unreachable!()),
        }
    }

    /// True when `signature` is the MAC of `input` under `alg` (HS256/384/512 only).
    pub fn verifies(&self, alg: Algorithm, input: &[u8], signature: &[u8]) -> bool {
        match alg {
            Algorithm::HS256 => check(&self.hs256, input, signature),
            Algorithm::HS384 => check(&self.hs384, input, signature),
            Algorithm::HS512 => check(&self.hs512, input, signature),
            _ => false,
        }
    }
}

/// The hash length of an HMAC algorithm, which RFC 7518 §3.2 sets as the minimum key size.
pub fn hash_len(alg: Algorithm) -> usize {
    match alg {
        Algorithm::HS384 => 48,
        Algorithm::HS512 => 64,
        _ => 32,
    }
}

/// Like [`Keyed::verifies`] for a key used once (the hints' other readings of a
/// secret): only the state for `alg` is keyed.
pub fn verifies_once(key: &[u8], alg: Algorithm, input: &[u8], signature: &[u8]) -> bool {
    fn keyed<M: Mac + hmac::digest::KeyInit>(key: &[u8]) -> Option<M> {
        <M as Mac>::new_from_slice(key).ok()
    }
    match alg {
        Algorithm::HS256 => keyed::<Hmac<Sha256>>(key).is_some_and(|m| check(&m, input, signature)),
        Algorithm::HS384 => keyed::<Hmac<Sha384>>(key).is_some_and(|m| check(&m, input, signature)),
        Algorithm::HS512 => keyed::<Hmac<Sha512>>(key).is_some_and(|m| check(&m, input, signature)),
        _ => false,
    }
}

fn check<M: Mac + Clone>(keyed: &M, input: &[u8], signature: &[u8]) -> bool {
    let mut mac = keyed.clone();
    mac.update(input);
    mac.verify_slice(signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    #[test]
    fn agrees_with_jsonwebtoken() {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let key = b"agree-agree-agree";
            let token = jsonwebtoken::encode(
                &jsonwebtoken::Header::new(alg),
                &serde_json::json!({"a": 1}),
                &jsonwebtoken::EncodingKey::from_secret(key),
            )
            .unwrap();
            let (input, sig) = token.rsplit_once('.').unwrap();
            let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(sig)
                .unwrap();
            assert!(Keyed::new(key).verifies(alg, input.as_bytes(), &sig));
            assert!(!Keyed::new(b"other").verifies(alg, input.as_bytes(), &sig));
            assert!(!Keyed::new(key).verifies(alg, input.as_bytes(), &sig[1..]));
            assert!(!Keyed::new(key).verifies(Algorithm::RS256, input.as_bytes(), &sig));
            assert!(verifies_once(key, alg, input.as_bytes(), &sig));
            assert!(!verifies_once(b"other", alg, input.as_bytes(), &sig));
        }
    }
}
