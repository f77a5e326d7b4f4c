{ABOUT}
//! Any web framework works the same way; this one answers with the standard library
//! alone: a thread per connection, 10 s for a client to send or read, bodies over
//! 1 MiB refused (413).
//!
{INSTALL}
//!   {ENV}=... PORT=3000 cargo run

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

{IMPORTS}

/// A webhook is a few kilobytes.
const MAX_BODY: u64 = 1 << 20;
/// The most a request head may hold.
const MAX_HEAD: u64 = 64 << 10;

fn main() {
    let secret = std::env::var("{ENV}").expect("set {ENV} to {ENV_WHAT}");
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".to_owned());
    let secret: Arc<str> = Arc::from(secret);
    let listener = TcpListener::bind(format!("127.0.0.1:{port}")).expect("bind");
    for stream in listener.incoming().flatten() {
        let secret = secret.clone();
        // One slow client must not hold up the others.
        std::thread::spawn(move || {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
            let status = answer(&stream, &secret);
            let reply = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            let _ = (&stream).write_all(reply.as_bytes());
        });
    }
}

/// The first value of header `name` (any case).
fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

{VERIFY}

/// Reads one request and verifies it; the status line to answer with.
fn answer(stream: &TcpStream, secret: &str) -> &'static str {
    let mut head = BufReader::new(stream.take(MAX_HEAD));
    let mut length: Option<u64> = None;
    let mut headers: Vec<(String, String)> = Vec::new();
    loop {
        let mut line = String::new();
        match head.read_line(&mut line) {
            Ok(0) | Err(_) => return "400 Bad Request",
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) if !line.ends_with('\n') => return "431 Request Header Fields Too Large",
            Ok(_) => {}
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
        if name.eq_ignore_ascii_case("content-length") {
            // Digits only: "-1", "+5" or "1e3" are no length.
            let value = value.trim();
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                return "400 Bad Request";
            }
            length = value.parse().ok();
            if length.is_none() {
                return "413 Content Too Large";
            }
        }
    }
    // Chunked bodies are not read here: ask for a length. No length: no body.
    if header(&headers, "transfer-encoding").is_some() {
        return "411 Length Required";
    }
    let length = length.unwrap_or(0);
    if length > MAX_BODY {
        return "413 Content Too Large";
    }
    // The body: what the head reader buffered past the head, then the rest.
    head.get_mut().set_limit(length);
    let mut body = Vec::with_capacity(length as usize);
    if (&mut head).take(length).read_to_end(&mut body).is_err() || body.len() as u64 != length {
        return "400 Bad Request";
    }
    if !verify(&headers, &body, secret) {
        return "401 Unauthorized";
    }
    // Senders retry: process each event (each message id) once.
    "200 OK"
}
