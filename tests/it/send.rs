//! `hookscope send` against the real listener: what it signs verifies, and the
//! 80%-in-60-minutes rule decides its exit code.

use crate::support;

use assert_cmd::Command;
use support::{Listener, SECRET};

fn send(listener: &Listener, args: &[&str]) -> (i32, String, String) {
    let url = format!("http://{}/hooks/truora", listener.addr);
    let output = Command::new(support::bin())
        .args(["send", "--to", &url])
        .args(args)
        .env_remove("HOOKSCOPE_SECRET")
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn every_product_is_signed_sent_and_verified() {
    let listener = Listener::start(&["--secret", SECRET]);
    let (code, out, err) = send(
        &listener,
        &[
            "--secret",
            SECRET,
            "--product",
            "all",
            "--count",
            "12",
            "--concurrency",
            "4",
            "--alg",
            "HS384",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("12 got 2xx, 0 failed"), "{out}");
    assert!(out.contains("200 ×12"), "{out}");
    assert!(out.contains("stays enabled"), "{out}");
    let records = listener.records();
    assert_eq!(records.len(), 12);
    let mut products: Vec<&str> = records
        .iter()
        .map(|r| {
            assert_eq!(r["verification"]["signature"], "valid", "{r}");
            assert_eq!(r["verification"]["alg"], "HS384");
            assert_eq!(
                r["headers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|h| h[0] == "content-type")
                    .unwrap()[1],
                "application/jwt"
            );
            r["events"][0]["product"].as_str().unwrap()
        })
        .collect();
    products.sort_unstable();
    products.dedup();
    assert_eq!(
        products,
        [
            "check",
            "continuous_check",
            "digital_identity",
            "signals",
            "truconnect",
            "validations"
        ]
    );
}

#[test]
fn failing_receiver_would_disable_the_subscription() {
    let listener = Listener::start(&["--respond-status", "503"]);
    let (code, out, _) = send(&listener, &["--secret", SECRET, "--count", "5"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("0 got 2xx, 5 failed"), "{out}");
    assert!(out.contains("503 ×5"), "{out}");
    assert!(
        out.contains("Truora would disable this subscription"),
        "{out}"
    );
    assert_eq!(listener.records().len(), 5);
}

#[test]
fn refused_connection_counts_as_failure() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = Command::new(support::bin())
        .args([
            "send",
            "--to",
            &format!("http://127.0.0.1:{port}/"),
            "--secret",
            SECRET,
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let out = String::from_utf8(output.stdout).unwrap();
    assert!(out.contains("error: could not connect"), "{out}");
}

#[test]
fn custom_claims_and_usage_errors() {
    let listener = Listener::start(&["--secret", SECRET]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("claims.json");
    std::fs::write(
        &file,
        r#"{"event_type":"check","event_action":"delayed","check_id":"CHK1"}"#,
    )
    .unwrap();
    let claims = format!("@{}", file.display());
    let (code, out, _) = send(&listener, &["--secret", SECRET, "--claims", &claims]);
    assert_eq!(code, 0, "{out}");
    let record = listener.last();
    assert_eq!(record["events"][0]["action"], "delayed");
    assert_eq!(record["events"][0]["subject"], "CHK1");

    let (code, _, err) = send(&listener, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("needs a secret"), "{err}");
    let (code, _, _) = send(&listener, &["--secret", SECRET, "--claims", "{nope"]);
    assert_eq!(code, 2);
    let (code, _, _) = send(&listener, &["--secret", SECRET, "--alg", "RS256"]);
    assert_eq!(code, 2);
}

#[test]
fn replay_sends_journaled_requests_again() {
    let first = Listener::start(&["--secret", SECRET]);
    send(&first, &["--secret", SECRET, "--count", "3"]);
    let (_, records, _) = first.terminate();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.ndjson");
    let text: String = records.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(&journal, text).unwrap();

    let target = Listener::start(&["--secret", SECRET]);
    let output = Command::new(support::bin())
        .arg("replay")
        .arg(&journal)
        .args(["--to", &format!("http://{}", target.addr), "--id", "2"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let out = String::from_utf8(output.stdout).unwrap();
    assert!(out.contains("#2 POST /hooks/truora -> 200"), "{out}");
    let received = target.records();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0]["body"], records[1]["body"]);
    assert_eq!(received[0]["verification"]["signature"], "valid");
    let journal = support::read_journal(&journal);
    assert_eq!(journal.len(), 4);
    assert_eq!(journal[3]["replay_of"], 2);
    assert_eq!(journal[3]["id"], 4);

    let output = Command::new(support::bin())
        .arg("replay")
        .arg(dir.path().join("j.ndjson"))
        .args(["--to", "http://127.0.0.1:1", "--id", "1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn a_port_that_is_no_port_is_a_usage_error_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.ndjson");
    std::fs::write(&journal, "").unwrap();
    let url = "http://127.0.0.1:80800/hooks";
    let journal = journal.to_str().unwrap();
    for args in [
        vec!["send", "--to", url, "--secret", SECRET],
        vec!["probe", "--to", url, "--secret", SECRET],
        vec!["replay", journal, "--to", url],
        vec!["listen", "--bind", "127.0.0.1:0", "--forward-to", url],
    ] {
        let output = Command::new(support::bin())
            .args(&args)
            .env_remove("HOOKSCOPE_SECRET")
            .timeout(std::time::Duration::from_secs(20))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("80800 is not a port"), "{args:?}: {stderr}");
    }
}

/// An app that answers 200 with a body that never ends.
fn endless_app() -> std::net::SocketAddr {
    use std::io::{Read, Write};
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = server.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in server.incoming() {
            let Ok(mut stream) = stream else { return };
            std::thread::spawn(move || {
                let mut head = [0u8; 65536];
                let _ = stream.read(&mut head);
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
                let chunk = format!("{:x}\r\n{}\r\n", 65536, "z".repeat(65536));
                while stream.write_all(chunk.as_bytes()).is_ok() {}
            });
        }
    });
    addr
}

#[test]
fn an_endless_reply_is_cut_at_64_kib_not_read_until_the_timeout() {
    let addr = endless_app();
    let output = Command::new(support::bin())
        .args([
            "send",
            "--to",
            &format!("http://{addr}/hooks"),
            "--secret",
            SECRET,
        ])
        .args(["--count", "3", "--timeout-ms", "5000"])
        .env_remove("HOOKSCOPE_SECRET")
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("200"), "{stdout}");
}
