//! TLS (`--tls-cert`, `--tls-key`): the capture listener takes HTTPS, and the SMTP
//! sink offers STARTTLS; real TLS both ends, with a CA the test makes.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::support::{self, Listener, SECRET, sign, tls::pki, truora_claims};

#[test]
fn the_capture_listener_takes_https_with_the_certificate_given() {
    let pki = pki();
    let mut args: Vec<String> = pki.args();
    args.extend(["--secret".to_owned(), SECRET.to_owned()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let listener = Listener::start(&args);
    let said = listener.stderr.lock().unwrap().clone();
    assert!(
        said.contains(&format!("listening on https://{}/", listener.addr)),
        "{said}"
    );
    let token = sign(
        &truora_claims(),
        SECRET.as_bytes(),
        jsonwebtoken::Algorithm::HS256,
    );
    let request = format!(
        "POST /hooks/truora?x=1 HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{token}",
        token.len()
    );
    let reply = pki.exchange(listener.addr, request.as_bytes()).unwrap();
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let record = listener.last();
    assert_eq!(record["path"], "/hooks/truora?x=1");
    assert_eq!(record["verification"]["signature"], "valid");

    // Plain HTTP to the TLS port is no request: nothing recorded, nothing answered in clear.
    let mut plain = TcpStream::connect(listener.addr).unwrap();
    plain
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    plain
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
        .unwrap();
    let mut answer = Vec::new();
    let _ = plain.read_to_end(&mut answer);
    assert!(!answer.starts_with(b"HTTP/1.1 200"));
    assert_eq!(listener.records().len(), 1);
}

#[test]
fn a_certificate_that_cannot_be_used_is_a_clear_usage_error() {
    let pki = pki();
    let other = support::tls::pki();
    for (cert, key, says) in [
        (
            pki.dir.path().join("none.pem"),
            pki.key.clone(),
            "could not read the certificate file",
        ),
        (pki.key.clone(), pki.key.clone(), "holds no certificate"),
        (
            pki.cert.clone(),
            other.key.clone(),
            "the key does not go with the certificate",
        ),
    ] {
        let output = std::process::Command::new(support::bin())
            .args(["listen", "--bind", "127.0.0.1:0", "--tls-cert"])
            .arg(&cert)
            .arg("--tls-key")
            .arg(&key)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
    }
}

/// `listen --smtp` with TLS, and the sink's address.
fn smtp_with_tls(pki: &support::tls::Pki) -> (Listener, SocketAddr) {
    let mut args = vec!["--smtp".to_owned(), "127.0.0.1:0".to_owned()];
    args.extend(pki.args());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let listener = Listener::start(&args);
    let started = Instant::now();
    loop {
        let said = listener.stderr.lock().unwrap().clone();
        if let Some(addr) = said.lines().find_map(|l| l.strip_prefix("smtp on smtp://")) {
            return (listener, addr.trim().parse().unwrap());
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{said}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn pythons_smtplib_sends_over_starttls_and_the_mail_is_kept() {
    let pki = pki();
    let (listener, addr) = smtp_with_tls(&pki);
    let script = format!(
        r#"
import smtplib, ssl
ctx = ssl.create_default_context(cafile={ca:?})
with smtplib.SMTP("localhost", {port}) as s:
    s.ehlo()
    assert s.has_extn("starttls"), "no STARTTLS offered"
    s.starttls(context=ctx)
    s.ehlo()
    assert not s.has_extn("starttls"), "STARTTLS offered again over TLS"
    s.sendmail("notifications@truora.com", ["dev@example.com"],
        "From: notifications@truora.com\r\nTo: dev@example.com\r\nSubject: Check CHK0123456789abcdef0123456789abcd finished\r\n\r\nover TLS\r\n")
"#,
        ca = pki.ca.display().to_string(),
        port = addr.port()
    );
    let ran = std::process::Command::new("python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let record = listener.last();
    assert_eq!(record["transport"], "smtp");
    assert_eq!(record["email"]["rcpt_to"][0], "dev@example.com");
    assert!(
        record["email"]["text"]
            .as_str()
            .unwrap()
            .contains("over TLS")
    );
}

/// One reply line by line, read a byte at a time (nothing read past it).
fn reply(stream: &mut impl Read) -> String {
    let mut all = String::new();
    let mut line = Vec::new();
    loop {
        let mut byte = [0u8; 1];
        if stream.read(&mut byte).unwrap() == 0 {
            return all + &String::from_utf8_lossy(&line);
        }
        line.push(byte[0]);
        if byte[0] == b'\n' {
            let text = String::from_utf8_lossy(&line).into_owned();
            line.clear();
            all.push_str(&text);
            if text.len() < 4 || text.as_bytes()[3] != b'-' {
                return all;
            }
        }
    }
}

#[test]
fn commands_pipelined_after_starttls_are_dropped_not_run_over_tls() {
    let pki = pki();
    let (listener, addr) = smtp_with_tls(&pki);
    let mut socket = TcpStream::connect(addr).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    assert!(reply(&mut socket).starts_with("220 "));
    // An attacker in the path appends a command to the clear STARTTLS (CVE-2011-0411).
    socket
        .write_all(b"EHLO me\r\nSTARTTLS\r\nMAIL FROM:<injected@evil.example>\r\n")
        .unwrap();
    assert!(reply(&mut socket).contains("250-STARTTLS"));
    assert!(reply(&mut socket).starts_with("220 2.0.0"));
    let connection =
        rustls::ClientConnection::new(pki.client(), "localhost".try_into().unwrap()).unwrap();
    let mut tls = rustls::StreamOwned::new(connection, socket);
    tls.write_all(b"EHLO me\r\n").unwrap();
    let ehlo = reply(&mut tls);
    assert!(
        ehlo.starts_with("250-") && !ehlo.contains("STARTTLS"),
        "{ehlo}"
    );
    tls.write_all(b"RCPT TO:<dev@example.com>\r\n").unwrap();
    assert!(
        reply(&mut tls).starts_with("503 "),
        "the injected MAIL FROM ran"
    );
    tls.write_all(b"QUIT\r\n").unwrap();
    assert!(reply(&mut tls).starts_with("221 "));
    assert!(listener.records().is_empty());
}

#[test]
fn without_a_certificate_starttls_is_not_offered() {
    let listener = Listener::start(&["--smtp", "127.0.0.1:0"]);
    let started = Instant::now();
    let addr: SocketAddr = loop {
        let said = listener.stderr.lock().unwrap().clone();
        if let Some(addr) = said.lines().find_map(|l| l.strip_prefix("smtp on smtp://")) {
            break addr.trim().parse().unwrap();
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{said}");
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut socket = TcpStream::connect(addr).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    reply(&mut socket);
    socket.write_all(b"EHLO me\r\n").unwrap();
    assert!(!reply(&mut socket).contains("STARTTLS"));
    socket.write_all(b"STARTTLS\r\n").unwrap();
    assert!(reply(&mut socket).starts_with("502 "));
}
