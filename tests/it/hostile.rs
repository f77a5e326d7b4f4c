//! Hostile HTTP against the real listener: after each, a good hook is still
//! answered and recorded, memory stays bounded, nothing panics.

use crate::support;

use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use jsonwebtoken::Algorithm;
use support::{Listener, SECRET, connect, read_reply, sign, truora_claims};

fn good_hook_still_works(listener: &Listener) {
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    let before = listener.records().len();
    assert_eq!(listener.post("/after", &[], token.as_bytes()).status, 200);
    let records = listener.records();
    assert_eq!(records.len(), before + 1);
    assert_eq!(
        records.last().unwrap()["verification"]["signature"],
        "valid"
    );
}

/// Sends raw bytes and returns the status line's code, or None when the server
/// closed without a reply.
fn raw(listener: &Listener, bytes: &[u8]) -> Option<u16> {
    let mut stream = connect(listener.addr);
    // A server that refuses early may close before we finish writing.
    let _ = stream.write_all(bytes);
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    let text = String::from_utf8_lossy(&reply);
    text.split_whitespace().nth(1).and_then(|s| s.parse().ok())
}

fn resident_kib(listener: &Listener) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", listener.child.id())).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn listener() -> Listener {
    Listener::start(&[
        "--secret",
        SECRET,
        "--header-timeout-ms",
        "1000",
        "--body-timeout-ms",
        "1000",
    ])
}

#[test]
fn huge_declared_length_without_a_body() {
    let listener = listener();
    let status = raw(
        &listener,
        b"POST /huge HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000000000\r\n\r\n",
    );
    assert_eq!(status, Some(413));
    let record = listener.last();
    assert_eq!(record["path"], "/huge");
    assert_eq!(record["body_truncated"], true);
    good_hook_still_works(&listener);
}

#[test]
fn oversized_heads_are_refused() {
    let listener = listener();
    let mut line = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
    line.extend(std::iter::repeat_n(b'a', 20 * 1024 * 1024));
    line.extend_from_slice(b"\r\n\r\n");
    let status = raw(&listener, &line);
    assert!(matches!(status, Some(431) | Some(400) | None), "{status:?}");
    let mut many = b"GET / HTTP/1.1\r\n".to_vec();
    for i in 0..100_000 {
        many.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    let status = raw(&listener, &many);
    assert!(matches!(status, Some(431) | Some(400) | None), "{status:?}");
    assert!(
        resident_kib(&listener) < 200 * 1024,
        "memory grew: {} KiB",
        resident_kib(&listener)
    );
    good_hook_still_works(&listener);
}

#[test]
fn garbage_and_old_protocols() {
    let listener = listener();
    assert_eq!(
        raw(&listener, b"\x00\x01garbage garbage\r\n\r\n"),
        Some(400)
    );
    assert_eq!(
        raw(&listener, b"POST / HTTP/9.9\r\n\r\n").unwrap_or(400) / 100,
        4
    );
    // HTTP/1.0 without keep-alive: one reply, then the server closes.
    let reply = raw(
        &listener,
        b"POST /old HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi",
    );
    assert_eq!(reply, Some(200));
    assert_eq!(listener.last()["path"], "/old");
    good_hook_still_works(&listener);
}

#[test]
fn endless_chunked_body_and_half_sent_requests() {
    let listener = listener();
    let mut endless = connect(listener.addr);
    endless
        .write_all(b"POST /endless HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        .unwrap();
    let mut held: Vec<TcpStream> = (0..300)
        .map(|i| {
            let mut s = connect(listener.addr);
            let _ =
                s.write_all(format!("POST /held/{i} HTTP/1.1\r\nHost: x\r\nContent-Le").as_bytes());
            s
        })
        .collect();
    good_hook_still_works(&listener);
    // The endless body times out (408) and is recorded with what came.
    let reply = read_reply(&mut BufReader::new(endless.try_clone().unwrap()));
    assert_eq!(reply.status, 408);
    let records = listener.records();
    let cut = records.iter().find(|r| r["path"] == "/endless").unwrap();
    assert_eq!(cut["body"], "hello");
    assert_eq!(cut["body_truncated"], true);
    assert_eq!(cut["response"]["status"], 408);
    // Half-sent heads are dropped after the header timeout.
    std::thread::sleep(Duration::from_millis(1500));
    let mut closed = 0;
    for stream in &mut held {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut buf = [0u8; 64];
        if stream.read(&mut buf).is_ok() {
            closed += 1;
        }
    }
    assert_eq!(closed, 300, "every half-sent request was closed");
    good_hook_still_works(&listener);
}

#[test]
fn pipelined_and_expect_continue() {
    let listener = listener();
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    let mut wire = Vec::new();
    for i in 0..3 {
        wire.extend_from_slice(&support::request_bytes(
            "POST",
            &format!("/p{i}"),
            &[],
            token.as_bytes(),
        ));
    }
    let mut stream = connect(listener.addr);
    stream.write_all(&wire).unwrap();
    let mut reader = BufReader::new(stream);
    for _ in 0..3 {
        assert_eq!(read_reply(&mut reader).status, 200);
    }
    let paths: Vec<String> = listener
        .records()
        .iter()
        .map(|r| r["path"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(paths, ["/p0", "/p1", "/p2"]);

    let mut stream = connect(listener.addr);
    let head = format!(
        "POST /expect HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        token.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut reader, &mut line).unwrap();
    assert!(line.starts_with("HTTP/1.1 100"), "{line}");
    let mut blank = String::new();
    std::io::BufRead::read_line(&mut reader, &mut blank).unwrap();
    stream.write_all(token.as_bytes()).unwrap();
    assert_eq!(read_reply(&mut reader).status, 200);
    assert_eq!(listener.last()["verification"]["signature"], "valid");
}

#[test]
fn kill_9_loses_nothing_acknowledged() {
    listener().kill_9_during_burst(Duration::from_millis(400));
}

#[test]
fn a_client_that_never_reads_its_replies_is_let_go_after_the_write_timeout() {
    let big = "r".repeat(64 * 1024);
    let listener = Listener::start(&[
        "--secret",
        SECRET,
        "--write-timeout-ms",
        "1000",
        "--respond-body",
        &big,
    ]);
    let mut stream = connect(listener.addr);
    // Hundreds of pipelined requests whose 64 KiB replies fill every buffer between
    // us and the listener, and not one byte read.
    let request = b"POST /pipelined HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx".repeat(400);
    stream
        .set_write_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let _ = stream.write_all(&request);
    std::thread::sleep(Duration::from_secs(3));
    // Now read what came: the listener closed the connection once its writes had
    // waited past the timeout, so the stream ends before the 400th reply.
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut read = 0usize;
    let mut buf = vec![0u8; 1 << 20];
    let ended = loop {
        match stream.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => read += n,
            Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => break true,
            Err(_) => break false,
        }
    };
    assert!(ended, "the connection was still held after {read} bytes");
    assert!(read < 400 * big.len(), "every reply came: {read} bytes");
    good_hook_still_works(&listener);
}
