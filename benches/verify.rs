//! Verification cost per token and record serialisation, with criterion.
//!
//! Run: `cargo bench --bench verify`. The reference is jsonwebtoken's own
//! `decode` of the same token, measured in the same run.

#![allow(clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use hookscope::token::{Secret, SecretEncoding, Verifier, analyze};
use std::hint::black_box;

mod common;

use common::{SECRET, token};

fn bench(c: &mut Criterion) {
    let token = token();
    eprintln!("token length: {} bytes", token.len());
    let verifier = Verifier::new(vec![Secret::new(SECRET, SecretEncoding::Utf8, 0).unwrap()]);
    let mut group = c.benchmark_group("verify");
    group.bench_function("reference: jsonwebtoken::decode", |b| {
        let key = jsonwebtoken::DecodingKey::from_secret(SECRET.as_bytes());
        let validation = common::reference_validation();
        b.iter(|| {
            jsonwebtoken::decode::<serde_json::Value>(black_box(&token), &key, &validation).unwrap()
        })
    });
    group.bench_function("hookscope: analyze (find + verify + classify)", |b| {
        b.iter(|| {
            analyze(
                black_box(token.as_bytes()),
                false,
                &[],
                &verifier,
                1_800_000_000,
            )
        })
    });
    let wrong = Verifier::new(vec![
        Secret::new(
            "wrong-secret-wrong-secret-wrong-00",
            SecretEncoding::Utf8,
            0,
        )
        .unwrap(),
    ]);
    group.bench_function("hookscope: analyze invalid (with hints)", |b| {
        b.iter(|| {
            analyze(
                black_box(token.as_bytes()),
                false,
                &[],
                &wrong,
                1_800_000_000,
            )
        })
    });
    group.finish();

    // Each other scheme's cost per request, beside the JWT's above: the provider's
    // sample signed as it would send it, found by its headers and verified.
    let mut group = c.benchmark_group("schemes");
    let whsec = "whsec_c2VjcmV0LW9mLXRoZS1lbmRwb2ludC0wMTIzNDU2Nzg5";
    let schemes_verifier =
        Verifier::new(vec![Secret::new(whsec, SecretEncoding::Utf8, 0).unwrap()]);
    group.bench_function("jwt: analyze", |b| {
        b.iter(|| {
            analyze(
                black_box(token.as_bytes()),
                false,
                &[],
                &verifier,
                1_800_000_000,
            )
        })
    });
    use hookscope::schemes::Name;
    for name in [
        Name::StandardWebhooks,
        Name::Stripe,
        Name::Github,
        Name::Shopify,
        Name::Slack,
    ] {
        let scheme = name.scheme();
        let sample = scheme.sample(1, 1_800_000_000);
        let outgoing = hookscope::schemes::signed(scheme, whsec, &sample, 1_800_000_000);
        let mut headers = outgoing.headers.clone();
        headers.push(("Content-Type".to_owned(), outgoing.content_type.clone()));
        group.bench_function(format!("{}: analyze", scheme.name()), |b| {
            b.iter(|| {
                analyze(
                    black_box(&outgoing.body),
                    false,
                    &headers,
                    &schemes_verifier,
                    1_800_000_000,
                )
            })
        });
    }
    group.finish();

    let analysis = analyze(token.as_bytes(), false, &[], &verifier, 1_800_000_000);
    let headers = [
        ("Host", "127.0.0.1:8787"),
        ("Content-Type", "application/jwt"),
        ("User-Agent", "Truora-Hooks/1.0"),
    ];
    let headers = headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .chain([("Content-Length".to_owned(), token.len().to_string())])
        .collect();
    let mut record = hookscope::record::Record::request(
        "2026-11-26T13:45:11.123Z",
        "POST",
        "/hooks/truora",
        "127.0.0.1:51234",
        headers,
        token.as_bytes(),
    );
    record.id = 17;
    record.token = analysis.token;
    record.verification = analysis.verification;
    record.events = analysis.events;
    let mut group = c.benchmark_group("record");
    group.bench_function("serialise to an NDJSON line", |b| {
        let mut buf = Vec::with_capacity(4096);
        b.iter(|| {
            buf.clear();
            hookscope::record::append_json(&mut buf, black_box(&record)).unwrap();
            buf.push(b'\n');
        })
    });
    // For scale: the same line by serde_json's own serialiser.
    group.bench_function("the same with serde_json::to_writer", |b| {
        let mut buf = Vec::with_capacity(4096);
        b.iter(|| {
            buf.clear();
            serde_json::to_writer(&mut buf, black_box(&record)).unwrap();
            buf.push(b'\n');
        })
    });
    let line = serde_json::to_vec(&record).unwrap();
    group.bench_function("parse an NDJSON line", |b| {
        b.iter(|| hookscope::ndjson::parse(black_box(&line)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
