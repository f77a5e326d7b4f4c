//! The probe's cases for the other signed webhooks (`probe --scheme`): genuine
//! requests the receiver must accept, and the forgeries of an HMAC scheme it must
//! refuse (another secret, a changed body, a missing, empty or cut signature; for
//! schemes that sign a timestamp, a stale, future or swapped one). Each scheme
//! signs and lays out its own headers ([`Scheme`]).

use super::{Case, Expect, Payload};
use crate::schemes::{Sample, Scheme, Stamp};
use crate::send::Outgoing;

/// Another secret, in every scheme's format (Standard Webhooks' is base64).
const OTHER_SECRET: &str = "whsec_bm90LXRoZS1lbmRwb2ludC1zZWNyZXQtaG9va3Njb3Bl";

/// The cases for `scheme`, genuine ones signed with `secret` at `now`.
pub(super) fn cases(scheme: &dyn Scheme, secret: &str, now: i64) -> Vec<Case> {
    let sample = scheme.sample(1, now);
    let key = scheme.key(secret);
    let other = scheme.key(OTHER_SECRET);
    let sign = |key: &[u8], timestamp: i64, body: &[u8]| {
        scheme.mac(
            key,
            &Stamp {
                body,
                timestamp,
                id: &sample.id,
            },
        )
    };
    let request = |timestamp: i64, signatures: &[String], body: &[u8]| {
        Payload::Request(with(
            &sample,
            scheme.headers(timestamp, &sample.id, signatures),
            body,
        ))
    };
    let genuine = sign(&key, now, &sample.body);
    let half = genuine[..genuine.len() / 2].to_owned();
    let mut cases = vec![
        Case {
            name: "genuine",
            expect: Expect::Accept,
            required: true,
            payloads: vec![request(now, std::slice::from_ref(&genuine), &sample.body)],
            advice: "a request signed with your secret must be accepted: check the secret (is it this endpoint's?), that the raw body is verified before any parsing, and how the scheme reads the secret",
        },
        Case {
            name: "wrong_secret",
            expect: Expect::Refuse,
            required: true,
            payloads: vec![request(
                now,
                &[sign(&other, now, &sample.body)],
                &sample.body,
            )],
            advice: "a request signed with another secret was accepted: the signature is not checked against your secret",
        },
        Case {
            name: "tampered_body",
            expect: Expect::Refuse,
            required: true,
            payloads: vec![request(
                now,
                std::slice::from_ref(&genuine),
                &tampered(&sample.body),
            )],
            advice: "a body changed after signing was accepted: compute the MAC over the raw bytes received and compare it with the one sent",
        },
        Case {
            name: "missing_signature",
            expect: Expect::Refuse,
            required: true,
            payloads: vec![request(now, &[], &sample.body)],
            advice: "a request without its signature header was accepted: refuse it (401) when the header is missing",
        },
        Case {
            name: "empty_signature",
            expect: Expect::Refuse,
            required: true,
            payloads: vec![request(now, &[String::new()], &sample.body)],
            advice: "an empty signature was accepted: compare the whole computed MAC with the whole received one (constant time, equal length)",
        },
        Case {
            name: "truncated_signature",
            expect: Expect::Refuse,
            required: true,
            payloads: vec![request(now, &[half], &sample.body)],
            advice: "half a signature was accepted: the comparison stops at the shorter one; compare full lengths (hmac.compare_digest, crypto.timingSafeEqual after a length check, hmac.Equal)",
        },
    ];
    if scheme.timestamped() {
        let stale = now - 600;
        let future = now + 600;
        cases.extend([
            Case {
                name: "stale_timestamp",
                expect: Expect::Refuse,
                required: true,
                payloads: vec![request(stale, &[sign(&key, stale, &sample.body)], &sample.body)],
                advice: "a well-signed request 10 minutes old was accepted: check the signed timestamp against your clock (the providers allow 5 minutes), or a recorded request can be replayed",
            },
            Case {
                name: "timestamp_swapped",
                expect: Expect::Refuse,
                required: true,
                payloads: vec![request(
                    now - 60,
                    std::slice::from_ref(&genuine),
                    &sample.body,
                )],
                advice: "a timestamp changed after signing was accepted: the timestamp must be part of the signed bytes, as the scheme says",
            },
            Case {
                name: "future_timestamp",
                expect: Expect::Refuse,
                required: !scheme.accepts_future(),
                payloads: vec![request(future, &[sign(&key, future, &sample.body)], &sample.body)],
                advice: if scheme.accepts_future() {
                    "a request stamped 10 minutes ahead was accepted; the provider's own library allows it, but a receiver that checks both ways is safer"
                } else {
                    "a well-signed request stamped 10 minutes ahead was accepted: refuse timestamps more than 5 minutes from your clock either way"
                },
            },
        ]);
    }
    if scheme.rotates() {
        cases.push(Case {
            name: "rotated_secret",
            expect: Expect::Accept,
            required: true,
            payloads: vec![request(
                now,
                &[sign(&other, now, &sample.body), genuine.clone()],
                &sample.body,
            )],
            advice: "a request with two signatures, the second by your secret, was refused: while a secret is rotated the provider signs with both; accept when any one verifies",
        });
    }
    if let Some(weaker) = scheme.weaker(
        &key,
        &Stamp {
            body: &sample.body,
            timestamp: now,
            id: &sample.id,
        },
    ) {
        let mut headers = scheme.headers(now, &sample.id, &[]);
        headers.extend(weaker.headers);
        cases.push(Case {
            name: weaker.case,
            expect: Expect::Refuse,
            required: weaker.required,
            payloads: vec![Payload::Request(with(&sample, headers, &sample.body))],
            advice: weaker.advice,
        });
    }
    cases.push(Case {
        name: "replayed",
        expect: Expect::Accept,
        required: false,
        payloads: vec![request(now, &[genuine], &sample.body)],
        advice: "the genuine request sent again was refused; providers retry deliveries: answer 2xx and process each message id once",
    });
    cases
}

/// The sample's request with `signature_headers` and `body`.
fn with(sample: &Sample, signature_headers: Vec<(String, String)>, body: &[u8]) -> Outgoing {
    let mut headers = sample.headers.clone();
    headers.extend(signature_headers);
    Outgoing::with_headers(body.to_vec(), headers)
}

/// `body` with one byte changed, still the same shape: a letter or digit near the
/// middle, changed to another.
fn tampered(body: &[u8]) -> Vec<u8> {
    let mut out = body.to_vec();
    let start = out.len() / 2;
    if let Some(at) = (start..out.len())
        .chain(0..start)
        .find(|&i| out[i].is_ascii_alphanumeric())
    {
        out[at] = match out[at] {
            b'0'..=b'8' | b'a'..=b'y' | b'A'..=b'Y' => out[at] + 1,
            b'9' => b'0',
            b'z' => b'a',
            _ => b'A',
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Signature, TimeState};
    use crate::schemes::Name;

    /// hookscope's own verifier is a correct receiver of every scheme: it agrees
    /// with every case (time apart from the signature, as it reports them).
    #[test]
    fn every_schemes_cases_verify_as_expected() {
        let now = 1_800_000_000;
        for name in [
            Name::StandardWebhooks,
            Name::Stripe,
            Name::Github,
            Name::Shopify,
            Name::Slack,
        ] {
            let scheme = name.scheme();
            let secret = "whsec_c2VjcmV0LW9mLXRoZS1lbmRwb2ludC0wMTIzNDU2Nzg5";
            let verifier = crate::token::Verifier::new(vec![
                crate::token::Secret::new(secret, crate::token::SecretEncoding::Utf8, 0).unwrap(),
            ]);
            let cases = cases(scheme, secret, now);
            let names: Vec<&str> = cases.iter().map(|c| c.name).collect();
            assert!(names.starts_with(&["genuine", "wrong_secret", "tampered_body"]));
            for case in &cases {
                for payload in &case.payloads {
                    let Payload::Request(outgoing) = payload else {
                        panic!("{}: not a request", case.name);
                    };
                    let mut headers = outgoing.headers.clone();
                    headers.push(("Content-Type".to_owned(), outgoing.content_type.clone()));
                    let analysis =
                        crate::token::analyze(&outgoing.body, false, &headers, &verifier, now);
                    let v = &analysis.verification;
                    // Without its signature header a request is no longer the scheme's.
                    if case.name != "missing_signature" {
                        assert_eq!(v.scheme.as_deref(), Some(scheme.name()), "{}", case.name);
                    }
                    let accepted = v.signature == Signature::Valid
                        && matches!(v.time, TimeState::Ok | TimeState::Absent)
                        && !(case.name == "sha1_only" && v.alg.as_deref() == Some("sha1"));
                    assert_eq!(
                        accepted,
                        case.expect == Expect::Accept,
                        "{} {}: {v:?}",
                        scheme.name(),
                        case.name
                    );
                }
            }
        }
    }
}
