//! Properties of verification (nothing false gets through, whatever the input) and
//! of the record's JSON (the journal writes what serde_json would, byte for byte).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hookscope::record::Signature;
use hookscope::token::{Secret, SecretEncoding, Verifier, analyze_text};
use proptest::prelude::*;

const SECRET: &str = "property-secret-property-secret-0123";

fn verifier() -> Verifier {
    Verifier::new(vec![Secret::new(SECRET, SecretEncoding::Utf8, 0).unwrap()])
}

fn sign(claims: &serde_json::Value, alg: jsonwebtoken::Algorithm) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(alg),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

fn claims_strategy() -> impl Strategy<Value = serde_json::Value> {
    (any::<i64>(), "[a-zA-Z0-9 _.-]{0,40}", proptest::collection::vec("[a-z]{1,8}", 0..4)).prop_map(
        |(iat, text, events)| {
            serde_json::json!({"iss": "Truora", "iat": iat, "note": text,
                "events": events.iter().map(|e| serde_json::json!({"event_type": e})).collect::<Vec<_>>()})
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A token signed right is valid; change any one byte and it never is.
    #[test]
    fn a_changed_byte_is_never_valid(
        claims in claims_strategy(),
        alg in prop_oneof![Just(jsonwebtoken::Algorithm::HS256), Just(jsonwebtoken::Algorithm::HS384), Just(jsonwebtoken::Algorithm::HS512)],
        at in any::<prop::sample::Index>(),
        replacement in any::<u8>(),
    ) {
        let token = sign(&claims, alg);
        let v = verifier();
        prop_assert_eq!(analyze_text(token.as_bytes(), &v, 0).verification.signature, Signature::Valid);
        let mut bytes = token.into_bytes();
        let i = at.index(bytes.len());
        prop_assume!(bytes[i] != replacement);
        bytes[i] = replacement;
        let analysis = analyze_text(&bytes, &v, 0);
        prop_assert_ne!(analysis.verification.signature, Signature::Valid);
    }

    /// Whatever the header says besides HS256/384/512, the verdict is never valid,
    /// even with a signature that is right for the bytes under HS256.
    #[test]
    fn other_algs_are_never_valid(alg in "[A-Za-z0-9]{0,8}", claims in claims_strategy()) {
        prop_assume!(!["HS256", "HS384", "HS512"].contains(&alg.as_str()));
        let header = URL_SAFE_NO_PAD.encode(serde_json::json!({"alg": alg, "typ": "JWT"}).to_string());
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        let input = format!("{header}.{payload}");
        let real = jsonwebtoken::crypto::sign(
            input.as_bytes(),
            &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
            jsonwebtoken::Algorithm::HS256,
        )
        .unwrap();
        for signature in [real.as_str(), ""] {
            let token = format!("{input}.{signature}");
            let analysis = analyze_text(token.as_bytes(), &verifier(), 0);
            prop_assert_eq!(analysis.verification.signature, Signature::UnsupportedAlg);
        }
    }

    /// Any bytes at all: a verdict, never a panic, and `valid` only for a real token.
    #[test]
    fn arbitrary_input_never_panics(input in proptest::collection::vec(any::<u8>(), 0..600)) {
        let analysis = analyze_text(&input, &verifier(), 0);
        prop_assert_ne!(analysis.verification.signature, Signature::Valid);
    }
}

/// Any JSON value: every kind of number, strings with any characters, nesting.
fn json_strategy() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[\\x00-\\x20\"\\\\/\\x7f]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 40, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((any::<String>(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

fn record_strategy() -> impl Strategy<Value = hookscope::record::Record> {
    (
        (any::<String>(), any::<String>(), any::<String>()),
        proptest::collection::vec((any::<String>(), any::<String>()), 0..5),
        proptest::collection::vec(any::<u8>(), 0..200),
        (json_strategy(), proptest::option::of(json_strategy())),
        (
            any::<String>(),
            proptest::collection::vec(any::<String>(), 0..3),
        ),
        (
            any::<u64>(),
            proptest::option::of(any::<u64>()),
            any::<u16>(),
        ),
    )
        .prop_map(
            |(
                (method, path, raw),
                headers,
                body,
                (header, claims),
                (detail, hints),
                (id, replay_of, status),
            )| {
                let mut record = hookscope::record::Record::request(
                    "2026-11-26T13:45:11.123Z",
                    &method,
                    &path,
                    "127.0.0.1:1",
                    headers,
                    &body,
                );
                record.id = id;
                record.replay_of = replay_of;
                record.response.status = status;
                record.token = Some(hookscope::record::TokenInfo {
                    source: "body".to_owned(),
                    raw,
                    header,
                    // Claims of `null` are written as `null`: no claims, read back.
                    claims: claims.filter(|claims| !claims.is_null()),
                });
                record.verification.detail = detail;
                record.verification.hints = hints;
                record
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The journal's serialiser writes the same bytes as serde_json, for any record.
    #[test]
    fn records_serialise_exactly_as_serde_json_would(record in record_strategy()) {
        let mut ours = Vec::new();
        hookscope::record::append_json(&mut ours, &record).unwrap();
        let theirs = serde_json::to_vec(&record).unwrap();
        prop_assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs));
    }

    /// What the journal writes, one line per record, the one line reader reads back
    /// whole, at the offsets it names.
    #[test]
    fn journal_lines_read_back_as_written(records in proptest::collection::vec(record_strategy(), 1..4)) {
        let mut text = Vec::new();
        for record in &records {
            hookscope::record::append_json(&mut text, record).unwrap();
            text.push(b'\n');
        }
        let entries: Vec<_> = hookscope::ndjson::Lines::new(&text[..], 0)
            .map(Result::unwrap)
            .collect();
        prop_assert_eq!(entries.len(), records.len());
        for (entry, record) in entries.iter().zip(&records) {
            prop_assert_eq!(entry.record.as_ref().unwrap(), record);
            let line = entry.line.unwrap();
            let bytes = &text[line.offset as usize..][..line.len as usize];
            prop_assert_eq!(&hookscope::ndjson::parse(bytes).unwrap(), record);
        }
    }
}
