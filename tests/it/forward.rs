//! Forwarding to the user's app, with a test app on a real socket that answers
//! 2xx, 5xx, slowly or not at all; and the delivery-health warning of `listen`.

use crate::support;

use std::net::{SocketAddr, TcpListener};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use jsonwebtoken::Algorithm;
use support::{Listener, SECRET, Seen, request, sign, truora_claims};

/// A test app: answers each request by its path (`/ok`, `/fail`, `/slow`), reporting
/// what it received.
fn test_app() -> (SocketAddr, mpsc::Receiver<Seen>) {
    let (tx, rx) = mpsc::channel();
    let addr = support::app(move |seen| {
        let path = seen
            .head
            .split_whitespace()
            .nth(1)
            .unwrap_or("/")
            .to_owned();
        let _ = tx.send(seen.clone());
        if path.ends_with("/fail") {
            ("500 Internal Server Error", "{\"app\":\"broken\"}")
        } else if path.ends_with("/slow") {
            std::thread::sleep(Duration::from_secs(5));
            ("200 OK", "{\"app\":\"late\"}")
        } else {
            ("201 Created", "{\"app\":\"ok\"}")
        }
    });
    (addr, rx)
}

#[test]
fn forwarded_requests_get_the_apps_reply_and_are_recorded() {
    let (app, seen) = test_app();
    // No path: each request goes to its own path on the app.
    let target = format!("http://{app}");
    let listener = Listener::start(&[
        "--secret",
        SECRET,
        "--forward-to",
        &target,
        "--forward-timeout-ms",
        "1000",
    ]);
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);

    let reply = listener.post(
        "/hooks/ok?x=1",
        &[
            ("Content-Type", "application/jwt"),
            ("X-Trace", "abc"),
            ("Connection", "keep-alive"),
        ],
        token.as_bytes(),
    );
    assert_eq!(reply.status, 201);
    assert_eq!(reply.body, b"{\"app\":\"ok\"}");
    let got = seen.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(
        got.head.starts_with("POST /hooks/ok?x=1 HTTP/1.1"),
        "{}",
        got.head
    );
    assert!(
        got.head.to_ascii_lowercase().contains("x-trace: abc"),
        "{}",
        got.head
    );
    assert!(
        !got.head.to_ascii_lowercase().contains("keep-alive"),
        "hop-by-hop forwarded: {}",
        got.head
    );
    assert_eq!(got.body, token.as_bytes(), "the body goes unchanged");
    let record = listener.last();
    assert_eq!(record["response"]["status"], 201);
    let forwarded = &record["response"]["forwarded"];
    assert_eq!(forwarded["url"], format!("{target}/hooks/ok?x=1"));
    assert_eq!(forwarded["status"], 201);
    assert_eq!(forwarded["error"], serde_json::Value::Null);
    assert_eq!(forwarded["body"], "{\"app\":\"ok\"}");
    assert!(forwarded["elapsed_ms"].as_u64().is_some());
    assert_eq!(record["verification"]["signature"], "valid");

    let reply = listener.post("/hooks/fail", &[], token.as_bytes());
    assert_eq!(reply.status, 500);
    assert_eq!(listener.last()["response"]["forwarded"]["status"], 500);

    // A slow app times out (504) without holding up other requests.
    let addr = listener.addr;
    let slow = std::thread::spawn(move || request(addr, "POST", "/hooks/slow", &[], b"x"));
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    assert_eq!(listener.post("/hooks/ok", &[], b"y").status, 201);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "a slow app blocked capture"
    );
    let slow = slow.join().unwrap();
    assert_eq!(slow.status, 504);
    let records = listener.records();
    let late = records.iter().find(|r| r["path"] == "/hooks/slow").unwrap();
    assert_eq!(late["response"]["status"], 504);
    assert!(
        late["response"]["forwarded"]["error"]
            .as_str()
            .unwrap()
            .contains("no reply within 1000 ms")
    );
}

#[test]
fn a_dead_app_is_a_502_with_the_error_recorded() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listener = Listener::start(&["--forward-to", &format!("http://127.0.0.1:{port}")]);
    let reply = listener.post("/hooks", &[], b"body");
    assert_eq!(reply.status, 502);
    let forwarded = &listener.last()["response"]["forwarded"];
    assert_eq!(forwarded["status"], serde_json::Value::Null);
    assert!(
        forwarded["error"]
            .as_str()
            .unwrap()
            .contains("connection refused"),
        "{forwarded}"
    );
}

#[test]
fn listen_warns_once_when_truora_would_disable_the_subscription() {
    let listener = Listener::start(&["--respond-status", "500"]);
    for _ in 0..6 {
        assert_eq!(listener.post("/", &[], b"x").status, 500);
    }
    let (_, records, stderr) = listener.terminate();
    assert_eq!(records.len(), 6);
    assert_eq!(
        stderr
            .matches("Truora would disable this subscription")
            .count(),
        1,
        "{stderr}"
    );
}

#[test]
fn bad_forward_url_is_a_usage_error() {
    let output = std::process::Command::new(support::bin())
        .args([
            "listen",
            "--bind",
            "127.0.0.1:0",
            "--forward-to",
            "https://example.com",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("http://"));
}

#[test]
fn forwarding_to_itself_is_answered_once_not_looped() {
    // A free port, so the listener can be told to forward to its own address.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let own = format!("127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.ndjson");
    let mut command = std::process::Command::new(support::bin());
    command
        .args([
            "listen",
            "--bind",
            &own,
            "--forward-to",
            &format!("http://{own}"),
        ])
        .arg("--out")
        .arg(&journal);
    let listener = Listener::spawn(command, dir, journal);
    let reply = listener.post("/hooks/loop", &[], b"x");
    // The forwarded copy came back marked: answered 508 there; the sender gets that.
    assert_eq!(
        reply.status,
        508,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    let records = listener.records();
    assert_eq!(records.len(), 2, "one request and its one forwarded copy");
    assert_eq!(records[0]["response"]["status"], 508);
}

#[test]
fn one_app_url_rule_a_url_with_a_path_is_the_endpoint_and_one_without_gets_the_requests_path() {
    let (app, seen) = test_app();
    let path_of = |seen: &Seen| seen.head.split_whitespace().nth(1).unwrap().to_owned();
    // With a path: the endpoint as typed, the request's query appended.
    let endpoint = Listener::start(&["--forward-to", &format!("http://{app}/webhooks/truora")]);
    assert_eq!(endpoint.post("/hooks/x?a=1", &[], b"x").status, 201);
    assert_eq!(path_of(&seen.recv().unwrap()), "/webhooks/truora?a=1");
    assert_eq!(
        endpoint.last()["response"]["forwarded"]["url"],
        format!("http://{app}/webhooks/truora?a=1")
    );
    // Without one: the request's own path and query.
    let base = Listener::start(&["--forward-to", &format!("http://{app}")]);
    assert_eq!(base.post("/hooks/x?a=1", &[], b"x").status, 201);
    assert_eq!(path_of(&seen.recv().unwrap()), "/hooks/x?a=1");
    // Replay follows the same rule.
    let (_, records, _) = endpoint.terminate();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.ndjson");
    let text: String = records.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(&journal, text).unwrap();
    let output = std::process::Command::new(support::bin())
        .arg("replay")
        .arg(&journal)
        .args(["--to", &format!("http://{app}/webhooks/truora?k=v")])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(path_of(&seen.recv().unwrap()), "/webhooks/truora?k=v&a=1");
}
