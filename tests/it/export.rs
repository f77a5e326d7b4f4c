//! `hookscope export`: a journal made by the real listener, converted by extension.

use crate::support;

use assert_cmd::Command;
use jsonwebtoken::Algorithm;
use serde_json::Value;
use support::{Listener, SECRET, sign, truora_claims};

#[test]
fn journal_to_every_format() {
    let listener = Listener::start(&["--secret", SECRET]);
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    listener.post(
        "/hooks?a=1",
        &[("Content-Type", "application/jwt")],
        token.as_bytes(),
    );
    listener.post("/other", &[], b"plain");
    let (_, records, _) = {
        let mut text = std::fs::read_to_string(&listener.journal).unwrap();
        let out = listener.terminate();
        // Append a torn line, as a crash mid-write would leave it.
        text.push_str("{\"id\":3,\"rec");
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("journal.ndjson");
        std::fs::write(&copy, text).unwrap();
        for ext in ["ndjson", "json", "har"] {
            let to = dir.path().join(format!("out.{ext}"));
            let output = support::export(&copy, &to);
            assert!(output.status.success());
            let stderr = String::from_utf8(output.stderr).unwrap();
            assert!(stderr.contains("line 3 is cut short"), "{stderr}");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&to).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{ext} export is readable by others");
            }
            let text = std::fs::read_to_string(&to).unwrap();
            match ext {
                "ndjson" => {
                    let lines: Vec<Value> = text
                        .lines()
                        .map(|l| serde_json::from_str(l).unwrap())
                        .collect();
                    assert_eq!(lines, out.1);
                }
                "json" => {
                    let array: Value = serde_json::from_str(&text).unwrap();
                    assert_eq!(array.as_array().unwrap(), &out.1);
                }
                _ => {
                    let har: Value = serde_json::from_str(&text).unwrap();
                    let entries = har["log"]["entries"].as_array().unwrap();
                    assert_eq!(entries.len(), 2);
                    // The listener's address (--origin, default 127.0.0.1:8787),
                    // never the Host header the sender wrote (hookscope.test).
                    assert_eq!(
                        entries[0]["request"]["url"],
                        "http://127.0.0.1:8787/hooks?a=1"
                    );
                    assert_eq!(entries[0]["request"]["postData"]["text"], token.as_str());
                    assert_eq!(entries[0]["response"]["status"], 200);
                }
            }
        }
        out
    };
    assert_eq!(records.len(), 2);
}

#[test]
fn unknown_extension_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.ndjson");
    std::fs::write(&journal, "").unwrap();
    let output = Command::new(support::bin())
        .arg("export")
        .arg(&journal)
        .args(["--to", "out.txt"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = Command::new(support::bin())
        .args(["export", "/nonexistent/j.ndjson", "--to", "x.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("could not read /nonexistent/j.ndjson")
    );
}

#[test]
fn the_reply_is_in_the_record_and_the_har_response() {
    // A chosen reply is kept; the default acknowledgement is known by the id.
    let listener = Listener::start(&["--respond-status", "202", "--respond-body", "queued"]);
    let reply = listener.post("/chosen", &[], b"x");
    assert_eq!(reply.body, b"queued");
    let chosen = listener.last();
    assert_eq!(chosen["response"]["body"], "queued");
    let plain = Listener::start(&[]);
    let reply = plain.post("/default", &[], b"x");
    let record = plain.last();
    assert!(record["response"].get("body").is_none(), "{record}");
    let id = record["id"].as_u64().unwrap();
    assert_eq!(
        String::from_utf8(reply.body).unwrap(),
        format!(r#"{{"received":true,"id":{id}}}"#)
    );

    let dir = tempfile::tempdir().unwrap();
    for (listener, text) in [
        (&listener, "queued".to_owned()),
        (&plain, format!(r#"{{"received":true,"id":{id}}}"#)),
    ] {
        let to = dir.path().join("out.har");
        assert!(support::export(&listener.journal, &to).status.success());
        let har: Value = serde_json::from_str(&std::fs::read_to_string(&to).unwrap()).unwrap();
        let response = &har["log"]["entries"][0]["response"];
        assert_eq!(response["content"]["text"], text.as_str());
        assert!(
            response["headers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|h| h["name"] == "x-hookscope-id"),
            "{response}"
        );
    }
}

#[test]
fn a_hostile_capture_cannot_reach_the_terminal_through_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("hostile.ndjson");
    let good = serde_json::to_string(&hookscope::record::Record::request(
        "2026-11-26T13:45:11.123Z",
        "POST",
        "/ok",
        "127.0.0.1:1",
        vec![],
        b"x",
    ))
    .unwrap();
    // A verdict no record has, written with JSON escapes: serde names it in its error.
    let hostile = good.replace("\"unsigned\"", r#""\u001b]0;pwned\u0007\u202e""#);
    assert_ne!(hostile, good);
    std::fs::write(&journal, format!("{good}\n{hostile}\n")).unwrap();
    let output = support::export(&journal, &dir.path().join("out.ndjson"));
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("line 2 is not a hookscope record"),
        "{stderr}"
    );
    assert!(
        !output.stderr.contains(&0x1b) && !stderr.contains('\u{202e}'),
        "{stderr:?}"
    );
    assert!(stderr.contains("\\x1b]0;pwned\\x07\\u{202e}"), "{stderr}");
}
