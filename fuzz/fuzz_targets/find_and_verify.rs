//! Any request body and Authorization header: finding, decoding and verifying
//! never panic, and nothing but a real HMAC signature is ever `valid`.

#![no_main]

use hookscope::record::Signature;
use hookscope::token::{Secret, SecretEncoding, Verifier, analyze};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data
        .first()
        .map_or(0, |b| *b as usize)
        .min(data.len().saturating_sub(1));
    let (header, body) = data.split_at(split);
    let headers = vec![
        (
            "Authorization".to_owned(),
            String::from_utf8_lossy(header).into_owned(),
        ),
        // The hints read it (a compressed body).
        ("Content-Encoding".to_owned(), "gzip".to_owned()),
    ];
    let verifier = Verifier::new(vec![
        Secret::new(
            "fuzz-secret-fuzz-secret-fuzz-secret!",
            SecretEncoding::Utf8,
            0,
        )
        .unwrap(),
    ]);
    let analysis = analyze(body, false, &headers, &verifier, 1_800_000_000);
    if analysis.verification.signature == Signature::Valid {
        // Only a token signed with the secret can get here; the fuzzer cannot forge one.
        panic!("valid without the secret: {:?}", analysis.token);
    }
    let _ = analyze(body, true, &headers, &Verifier::default(), 0);
});
