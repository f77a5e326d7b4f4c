//! `hookscope listen` driven as a user would: the real binary, real sockets, real tokens.

use crate::support;

use std::io::{BufReader, Write};
use std::time::Duration;

use base64::Engine as _;
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};
use support::{Listener, SECRET, connect, read_reply, request, request_bytes, sign, truora_claims};

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn verdict(record: &Value) -> &str {
    record["verification"]["signature"].as_str().unwrap()
}

#[test]
fn every_verdict_over_http() {
    let listener = Listener::start(&["--secret", SECRET]);
    let claims = truora_claims();
    let valid = sign(&claims, SECRET.as_bytes(), Algorithm::HS256);
    let wrong = sign(
        &claims,
        b"not-the-secret-not-the-secret-000",
        Algorithm::HS256,
    );
    let payload = valid.split('.').nth(1).unwrap().to_owned();
    let signature = valid.split('.').nth(2).unwrap().to_owned();
    let mut tampered_claims = claims.clone();
    tampered_claims["events"][0]["event_action"] = json!("failed");
    let tampered = format!(
        "{}.{}.{signature}",
        valid.split('.').next().unwrap(),
        b64url(tampered_claims.to_string().as_bytes())
    );
    let mut cases = vec![
        (valid.clone(), "valid"),
        (wrong, "invalid"),
        (tampered, "invalid"),
        (
            format!("{}.{payload}", valid.split('.').next().unwrap()),
            "malformed",
        ),
        ("hello, world".to_owned(), "unsigned"),
        (
            format!(
                "{}.{payload}.{signature}",
                b64url(br#"{"alg":"RS256","typ":"JWT"}"#)
            ),
            "unsupported_alg",
        ),
    ];
    for none in ["none", "None", "NONE", "nOnE"] {
        let header = b64url(format!(r#"{{"alg":"{none}","typ":"JWT"}}"#).as_bytes());
        cases.push((format!("{header}.{payload}."), "unsupported_alg"));
        // alg none with the real HS256 signature attached is still refused.
        cases.push((format!("{header}.{payload}.{signature}"), "unsupported_alg"));
    }
    for (body, expected) in &cases {
        let reply = listener.post(
            "/hooks/truora",
            &[("Content-Type", "application/jwt")],
            body.as_bytes(),
        );
        assert_eq!(reply.status, 200);
        let record = listener.last();
        assert_eq!(verdict(&record), *expected, "{body}: {record}");
    }
    let records = listener.records();
    assert_eq!(records.len(), cases.len());
    let ids: Vec<u64> = records.iter().map(|r| r["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, (1..=cases.len() as u64).collect::<Vec<_>>());
    // Claims are decoded even when the signature fails.
    assert_eq!(
        records[2]["token"]["claims"]["events"][0]["event_action"],
        "failed"
    );

    let no_secret = Listener::start(&[]);
    no_secret.post("/", &[], valid.as_bytes());
    assert_eq!(verdict(&no_secret.last()), "no_secret");
}

#[test]
fn every_token_source_and_two_secrets() {
    let other = "another-secret-another-secret-0000";
    let listener = Listener::start(&["--secret", other, "--secret", SECRET]);
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS512);
    let bearer = format!("Bearer {token}");
    type Case<'a> = (Vec<(&'a str, &'a str)>, String, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec![("Content-Type", "application/jwt")],
            format!("  {token}\n"),
            "body",
        ),
        (
            vec![("Content-Type", "application/json")],
            format!(r#"{{"id":1,"token":"{token}"}}"#),
            "json:token",
        ),
        (
            vec![("Content-Type", "application/x-www-form-urlencoded")],
            format!("a=b&jwt={token}"),
            "form:jwt",
        ),
        (
            vec![("Authorization", bearer.as_str())],
            "{}".to_owned(),
            "header:authorization",
        ),
    ];
    for (headers, body, source) in cases {
        listener.post("/", &headers, body.as_bytes());
        let record = listener.last();
        assert_eq!(record["token"]["source"], source);
        assert_eq!(record["token"]["raw"], token.as_str());
        assert_eq!(verdict(&record), "valid", "{record}");
        assert_eq!(record["verification"]["secret"], 1);
        assert_eq!(record["verification"]["alg"], "HS512");
    }
    let first = &listener.records()[0];
    assert!(
        first["verification"]["hints"][0]
            .as_str()
            .unwrap()
            .contains("whitespace around it"),
        "{first}"
    );
}

#[test]
fn truora_batch_is_classified() {
    let listener = Listener::start(&["--secret", SECRET]);
    let mut claims = truora_claims();
    claims["events"].as_array_mut().unwrap().push(json!({
        "id": "HKE2", "event_type": "check", "event_action": "finished",
        "object": {"check_id": "CHK9", "score": 1}
    }));
    listener.post(
        "/",
        &[],
        sign(&claims, SECRET.as_bytes(), Algorithm::HS256).as_bytes(),
    );
    let events = listener.last()["events"].clone();
    assert_eq!(
        events,
        json!([
            {"product": "digital_identity", "type": "digital_identity.identity_process",
             "action": "succeeded", "id": "HKE123", "subject": "IDP456"},
            {"product": "check", "type": "check", "action": "finished", "id": "HKE2", "subject": "CHK9"}
        ])
    );
}

#[test]
fn oversized_binary_and_other_methods_are_recorded() {
    let listener = Listener::start(&["--secret", SECRET]);
    let big = vec![b'a'; 2 * 1024 * 1024];
    let reply = listener.post("/big", &[], &big);
    assert_eq!(reply.status, 413);
    let record = listener.last();
    assert_eq!(record["body_truncated"], true);
    assert_eq!(record["body"].as_str().unwrap().len(), 1024 * 1024);
    assert_eq!(record["response"]["status"], 413);

    // Expect: 100-continue with a body too large is refused before the upload.
    let mut stream = connect(listener.addr);
    let head = "POST /expect HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\nExpect: 100-continue\r\n\r\n";
    stream.write_all(head.as_bytes()).unwrap();
    assert_eq!(read_reply(&mut BufReader::new(stream)).status, 413);
    assert_eq!(listener.last()["path"], "/expect");

    let binary: Vec<u8> = (0..=255u8).rev().collect();
    assert_eq!(listener.post("/bin", &[], &binary).status, 200);
    let record = listener.last();
    assert_eq!(record["body"], Value::Null);
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(record["body_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(decoded, binary);
    assert_eq!(verdict(&record), "unsigned");

    for method in ["PUT", "GET", "DELETE", "PATCH"] {
        let reply = request(listener.addr, method, "/any/path?x=1&y=%20", &[], b"");
        assert_eq!(reply.status, 200);
        let record = listener.last();
        assert_eq!(record["method"], method);
        assert_eq!(record["path"], "/any/path?x=1&y=%20");
    }
}

#[test]
fn headers_keep_names_order_and_odd_bytes() {
    let listener = Listener::start(&[]);
    let mut stream = connect(listener.addr);
    let mut wire = b"POST /h HTTP/1.1\r\nHost: x\r\nX-Truora-Sig: A\r\ncontent-TYPE: application/jwt\r\nx-truora-sig: B\r\nX-Latin: caf\xe9\r\nContent-Length: 2\r\n\r\nhi".to_vec();
    // A second request on the same keep-alive connection.
    wire.extend_from_slice(&request_bytes(
        "PUT",
        "/second",
        &[("X-Second", "yes")],
        b"ok",
    ));
    stream.write_all(&wire).unwrap();
    let mut reader = BufReader::new(stream);
    assert_eq!(read_reply(&mut reader).status, 200);
    assert_eq!(read_reply(&mut reader).status, 200);
    let records = listener.records();
    let names: Vec<&str> = records[0]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h[0].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Host",
            "X-Truora-Sig",
            "content-TYPE",
            "x-truora-sig",
            "X-Latin",
            "Content-Length"
        ]
    );
    assert_eq!(records[0]["headers"][4][1], "caf\u{fffd}");
    assert_eq!(records[1]["method"], "PUT");
    assert_eq!(records[1]["headers"][1], json!(["X-Second", "yes"]));
}

#[test]
fn slow_client_does_not_block_others() {
    let listener = Listener::start(&["--secret", SECRET]);
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut stream = connect(listener.addr);
        stream
            .write_all(b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Le")
            .unwrap();
        slow.push(stream);
    }
    let mut half_body = connect(listener.addr);
    half_body
        .write_all(b"POST /half HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly part")
        .unwrap();
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    for _ in 0..5 {
        let reply = listener.post("/fast", &[], token.as_bytes());
        assert_eq!(reply.status, 200);
    }
    assert_eq!(listener.records().len(), 5);
    drop(slow);
    drop(half_body);
}

#[test]
fn sigterm_flushes_everything_acknowledged() {
    let listener = Listener::start(&["--secret", SECRET]);
    let addr = listener.addr;
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let token = token.clone();
            std::thread::spawn(move || {
                let mut stream = connect(addr);
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut ok = 0;
                for _ in 0..25 {
                    stream
                        .write_all(&request_bytes("POST", "/", &[], token.as_bytes()))
                        .unwrap();
                    if read_reply(&mut reader).status == 200 {
                        ok += 1;
                    }
                }
                ok
            })
        })
        .collect();
    let acknowledged: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(acknowledged, 200);
    let (status, records, _) = listener.terminate();
    assert!(status.success(), "{status:?}");
    assert_eq!(records.len(), 200);
}

#[test]
fn port_in_use_is_one_clear_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let output = std::process::Command::new(support::bin())
        .args(["listen", "--bind", &addr])
        .env_remove("HOOKSCOPE_SECRET")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("already in use") && stderr.contains("--bind"),
        "{stderr}"
    );
}

#[test]
fn unwritable_journal_and_bad_secret_file_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(support::bin())
        .args(["listen", "--bind", "127.0.0.1:0", "--out"])
        .arg(dir.path().join("missing/dir/j.ndjson"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("could not open the journal"), "{stderr}");

    let output = std::process::Command::new(support::bin())
        .args(["listen", "--bind", "127.0.0.1:0", "--secret-file"])
        .arg(dir.path().join("nope"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("could not read the secret file"),
        "{stderr}"
    );
}

#[test]
fn journal_ids_continue_and_stdout_mode_works() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.ndjson");
    // A journal left by an earlier run, its last line torn.
    std::fs::write(&journal, "{\"id\":41}\n{\"id\":42}\n{\"id\":4").unwrap();
    let listener = Listener::start_with(&[], dir, journal.clone());
    listener.post("/", &[], b"x");
    let text = std::fs::read_to_string(&journal).unwrap();
    let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["id"], 43);

    let (child, mut stderr) = support::spawn_listen("127.0.0.1:0", std::process::Stdio::piped());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stderr, &mut line).unwrap();
    let addr = line
        .trim()
        .trim_start_matches("listening on http://")
        .trim_end_matches('/');
    request(addr.parse().unwrap(), "POST", "/stdout", &[], b"hi");
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let record: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(record["path"], "/stdout");
    assert_eq!(record["id"], 1);
}

#[test]
fn secret_never_reaches_journal_or_stderr() {
    let listener = Listener::start(&["--secret", SECRET]);
    let token = sign(
        &truora_claims(),
        b"wrong-wrong-wrong-wrong-wrong-wrong",
        Algorithm::HS256,
    );
    listener.post("/", &[], token.as_bytes());
    std::thread::sleep(Duration::from_millis(50));
    let (_, records, stderr) = listener.terminate();
    assert_eq!(records.len(), 1);
    let journal = serde_json::to_string(&records).unwrap();
    assert!(!journal.contains(SECRET));
    assert!(!stderr.contains(SECRET));
}

#[test]
fn non_loopback_bind_is_said_loudly() {
    let (mut child, mut stderr) = support::spawn_listen("0.0.0.0:0", std::process::Stdio::null());
    let mut lines = String::new();
    for _ in 0..2 {
        std::io::BufRead::read_line(&mut stderr, &mut lines).unwrap();
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(lines.contains("warning: listening on 0.0.0.0:"), "{lines}");
    assert!(lines.contains("not loopback"), "{lines}");
}

#[test]
fn a_reply_status_that_is_no_final_answer_is_a_usage_error() {
    for status in ["100", "150", "600"] {
        let output = std::process::Command::new(support::bin())
            .args([
                "listen",
                "--bind",
                "127.0.0.1:0",
                "--respond-status",
                status,
            ])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "--respond-status {status}");
    }
}
