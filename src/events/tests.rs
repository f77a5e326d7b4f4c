//! The event store against real journals written by the test.

use super::*;
use crate::ndjson::Line;
use crate::record::{Record, Signature, TimeState};
use crate::token::{Analyze as _, Secret, SecretEncoding, Verifier};

#[test]
fn reverification_starts_with_the_newest_events() {
    let secret = "0123456789abcdef0123456789abcdef";
    let token = crate::token::sign::sign(
        &serde_json::json!({"iss": "Truora"}),
        secret.as_bytes(),
        jsonwebtoken::Algorithm::HS256,
    )
    .unwrap();
    let mut store = Store::new(1000);
    for i in 0..200 {
        store.push(record(&token, &format!("/p{i}")), &Verifier::default(), 0);
    }
    let verifier = Verifier::new(vec![Secret::new(secret, SecretEncoding::Utf8, 0).unwrap()]);
    let (located, progress) = store.start_reverify();
    assert_eq!(located.iter().next().unwrap().0, 199, "the newest first");
    assert_eq!(store.reverifying(), Some((0, 200)));
    let verdicts = reverify(&located, &verifier, None, &progress).unwrap();
    assert_eq!(store.reverifying(), Some((200, 200)));
    store.reverified(&progress, verdicts);
    // Taken in a slice at a time: one slice with no time to spare does 4,096.
    while !store.take_verdicts(std::time::Duration::ZERO) {}
    assert_eq!(store.reverifying(), None);
    assert_eq!(store.get(0).unwrap().summary.signature, Signature::Valid);
    assert_eq!(store.count(Signature::Valid), 200);
}

#[test]
fn a_lightened_record_gives_the_same_row_and_shape() {
    let secret = "light-secret-light-secret-light-0000";
    let claims = crate::samples::claims("check", None, 1_800_000_000, 7).unwrap();
    let token =
        crate::token::sign::sign(&claims, secret.as_bytes(), jsonwebtoken::Algorithm::HS256)
            .unwrap();
    let verifier = Verifier::new(vec![Secret::new(secret, SecretEncoding::Utf8, 0).unwrap()]);
    let mut full = record(&token, "/hooks/light");
    full.analyze(&verifier, 1_800_000_000);
    let mut light = full.clone();
    let size = lighten(&mut light);
    assert!(light.body.is_none() && light.headers.is_empty());
    let line = Some(Line { offset: 0, len: 10 });
    let a = Ingester::default().ingest(full, line, None);
    let b = Ingester::default().ingest_sized(light, size, line, None);
    assert_eq!(format!("{:?}", a.summary), format!("{:?}", b.summary));
    assert_eq!(a.summary.size as usize, token.len());
    let (sa, sb) = (a.shape.unwrap(), b.shape.unwrap());
    assert_eq!((sa.kind, sa.fingerprint), (sb.kind, sb.fingerprint));
}

#[test]
fn a_newer_reverification_stops_the_older() {
    let mut store = Store::new(10);
    store.push(record("plain", "/p"), &Verifier::default(), 0);
    let (located, older) = store.start_reverify();
    let (_, _newer) = store.start_reverify();
    assert!(reverify(&located, &Verifier::default(), None, &older).is_none());
    // Its verdicts, had they come, are not taken.
    store.reverified(
        &older,
        super::Verdicts {
            rows: vec![(0, Signature::Valid, TimeState::Ok)],
            mails: Vec::new(),
        },
    );
    assert_eq!(store.count(Signature::Unsigned), 1);
}

/// Writes `records` as a journal and reads it back into a store of `max`.
fn journal_store(
    records: &[Record],
    max: usize,
    verifier: &Verifier,
) -> (tempfile::TempDir, Opened) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.ndjson");
    let mut text = String::new();
    for record in records {
        text.push_str(&serde_json::to_string(record).unwrap());
        text.push('\n');
    }
    std::fs::write(&path, &text).unwrap();
    let progress = Progress::default();
    let opened = open(&path, max, verifier, &progress).unwrap();
    // The progress bar ends full: every byte of the file counted once.
    assert_eq!(progress.get(), (text.len() as u64, text.len() as u64));
    (dir, opened)
}

#[test]
fn a_journal_is_read_back_by_offset() {
    let secret = "journal-secret-journal-secret-000";
    let verifier = Verifier::new(vec![Secret::new(secret, SecretEncoding::Utf8, 0).unwrap()]);
    let mut records = Vec::new();
    for i in 0..500u64 {
        // Every check event twice (a retry), from every product.
        let product = crate::samples::PRODUCTS[(i as usize / 2) % crate::samples::PRODUCTS.len()];
        let claims = crate::samples::claims(product, None, 1_800_000_000, i / 2).unwrap();
        let token =
            crate::token::sign::sign(&claims, secret.as_bytes(), jsonwebtoken::Algorithm::HS256)
                .unwrap();
        let mut record = record(&token, &format!("/p{i}"));
        record.id = i + 1;
        records.push(record);
    }
    let (_dir, opened) = journal_store(&records, 300, &verifier);
    let store = opened.store;
    assert_eq!(opened.records, 500);
    assert_eq!(store.len(), 300);
    assert_eq!(store.evicted, 200);
    assert_eq!(store.count(Signature::Valid), 300);
    // The newest 300, in order, each read back whole from its line.
    let ids: Vec<u64> = store
        .locate_all()
        .iter()
        .map(|(_, r)| r.unwrap().id)
        .collect();
    assert_eq!(ids, (201..=500).collect::<Vec<_>>());
    let first = store.entries().next().unwrap().seq;
    assert_eq!(store.record(first).unwrap(), records[200]);
    assert_eq!(store.get(first).unwrap().summary.path.as_ref(), "/p200");
    // Each event arrived twice.
    let key = store.get(first).unwrap().summary.event_key.unwrap();
    assert_eq!(store.deliveries(key), 2);
    // Read on as many threads as there are cores, in file order all the same.
    let seqs: Vec<u64> = store.entries().map(|e| e.seq).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1));
}

#[test]
fn bad_and_torn_lines_are_named_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.ndjson");
    let good = serde_json::to_string(&record("plain", "/ok")).unwrap();
    std::fs::write(
        &path,
        format!("{good}\nnot json\n\n{good}\n{}", &good[..40]),
    )
    .unwrap();
    let opened = open(&path, 100, &Verifier::default(), &Progress::default()).unwrap();
    assert_eq!(opened.store.len(), 2);
    assert_eq!(opened.problems.len(), 2, "{:?}", opened.problems);
    assert!(opened.problems[0].starts_with("line 2 is not a hookscope record"));
    assert_eq!(
        opened.problems[1],
        "line 5 is cut short (an interrupted write); skipped"
    );
}

#[test]
fn the_text_filter_finds_rows_at_once_and_the_rest_by_search() {
    let mut store = Store::new(10);
    let mut with_header = record("plain", "/a");
    with_header
        .headers
        .push(("X-Trace".to_owned(), "Needle-42".to_owned()));
    store.push(with_header, &Verifier::default(), 0);
    store.push(record("plain", "/needle-42"), &Verifier::default(), 0);
    store.set_filter(Filter {
        text: "NEEDLE-42".to_owned(),
        ..Default::default()
    });
    assert_eq!(store.visible(), &[1], "the path is on the row");
    let located = store.take_unsearched().unwrap();
    assert_eq!(located.len(), 1, "only the event whose row lacks it");
    assert!(store.take_unsearched().is_none(), "searched once");
    let found = search(
        &located,
        &Verifier::default(),
        store.needle(),
        &Progress::default(),
    );
    store.add_found("needle-42", found);
    assert_eq!(store.visible(), &[0, 1]);
}

fn record(body: &str, path: &str) -> Record {
    Record::request(
        "2026-11-26T13:45:11.123Z",
        "POST",
        path,
        "127.0.0.1:1",
        vec![],
        body.as_bytes(),
    )
}

#[test]
fn eviction_filter_and_reverify() {
    let secret = "store-secret-store-secret-store-secret";
    let token = crate::token::sign::sign(
        &crate::samples::claims("check", None, 0, 1).unwrap(),
        secret.as_bytes(),
        jsonwebtoken::Algorithm::HS256,
    )
    .unwrap();
    let none = Verifier::default();
    let mut store = Store::new(3);
    for i in 0..5 {
        let body = if i % 2 == 0 { token.as_str() } else { "plain" };
        store.push(record(body, &format!("/p{i}")), &none, 0);
    }
    assert_eq!(store.len(), 3);
    assert_eq!(store.evicted, 2);
    assert_eq!(store.get(2).unwrap().summary.path.as_ref(), "/p2");
    assert!(store.get(1).is_none());
    assert_eq!(store.count(Signature::NoSecret), 2);
    assert_eq!(
        store.get(2).unwrap().summary.label.as_ref(),
        "Check · finished"
    );

    store.set_filter(Filter {
        signature: Some(Signature::Valid),
        ..Default::default()
    });
    assert!(store.visible().is_empty());
    let verifier = Verifier::new(vec![Secret::new(secret, SecretEncoding::Utf8, 0).unwrap()]);
    let (located, progress) = store.start_reverify();
    let verdicts = reverify(&located, &verifier, None, &progress).unwrap();
    store.reverified(&progress, verdicts);
    assert!(store.take_verdicts(std::time::Duration::MAX));
    assert_eq!(store.visible(), &[2, 4]);
    assert_eq!(store.count(Signature::Valid), 2);
    assert_eq!(store.count(Signature::NoSecret), 0);

    store.set_filter(Filter {
        text: "P3".to_owned(),
        ..Default::default()
    });
    assert_eq!(store.visible(), &[3]);
}

#[test]
fn a_line_that_now_holds_another_record_is_not_shown_as_the_event() {
    let mut records = vec![record("plain", "/a"), record("plain", "/b")];
    records[0].id = 1;
    records[1].id = 2;
    let (dir, opened) = journal_store(&records, 10, &Verifier::default());
    let store = opened.store;
    let first = store.entries().next().unwrap().seq;
    assert_eq!(store.record(first).unwrap().id, 1);
    // Another process rewrote the file: the same bytes at the same offsets, other ids.
    let path = dir.path().join("journal.ndjson");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("{\"id\":1,", "{\"id\":7,")).unwrap();
    let err = store.record(first).unwrap_err();
    assert!(err.contains("now holds record 7"), "{err}");
}

#[test]
fn a_row_keeps_what_it_shows_and_the_rest_is_found_in_the_journal() {
    let secret = "row-text-secret-row-text-secret-00";
    let mut claims = crate::samples::claims("check", None, 1_800_000_000, 1).unwrap();
    let subject = format!("CHK{}", "s".repeat(300_000));
    claims["events"][0]["object"]["check_id"] = serde_json::Value::String(subject.clone());
    let token =
        crate::token::sign::sign(&claims, secret.as_bytes(), jsonwebtoken::Algorithm::HS256)
            .unwrap();
    let path = format!("/hooks/{}needle-at-the-end", "p".repeat(300_000));
    let mut long = record(&token, &path);
    long.id = 1;
    let verifier = Verifier::new(vec![Secret::new(secret, SecretEncoding::Utf8, 0).unwrap()]);
    let (_dir, opened) = journal_store(&[long], 10, &verifier);
    let mut store = opened.store;
    let entry = store.entries().next().unwrap();
    let seq = entry.seq;
    assert_eq!(entry.summary.path.chars().count(), row::ROW_TEXT);
    assert_eq!(entry.summary.subject.chars().count(), row::ROW_TEXT);
    // The whole record reads back for the detail...
    assert_eq!(store.record(seq).unwrap().path, path);
    // ...and the full-text search finds what the row left out.
    store.set_filter(Filter {
        text: "needle-at-the-end".to_owned(),
        ..Default::default()
    });
    let located = store.take_unsearched().unwrap();
    let found = search(&located, &verifier, store.needle(), &Progress::default());
    assert_eq!(found, [seq]);
}
