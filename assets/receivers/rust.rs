//! A Truora hook receiver in Rust: the raw body is the token, verified with the
//! hook's secret and {ALG} only, before any claim is used. Any web framework works
//! the same way; this one answers with the standard library alone.
//!
//!   cargo add jsonwebtoken@11 --no-default-features --features rust_crypto
//!   cargo add serde_json
//!   TRUORA_HOOK_SECRET=... PORT=3000 cargo run

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};

fn main() {
    let secret = std::env::var("TRUORA_HOOK_SECRET").expect("set TRUORA_HOOK_SECRET to the hook's secret");
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".to_owned());
    let key = DecodingKey::from_secret(secret.as_bytes());
    // Only {ALG}; Truora sends no exp and no aud, so neither is required.
    let mut validation = Validation::new(Algorithm::{ALG});
    validation.required_spec_claims.clear();
    validation.validate_aud = false;
    let listener = TcpListener::bind(format!("127.0.0.1:{port}")).expect("bind");
    for stream in listener.incoming().flatten() {
        let mut reader = BufReader::new(&stream);
        let mut length = 0;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length.min(1 << 20)];
        if reader.read_exact(&mut body).is_err() {
            continue;
        }
        let token = String::from_utf8_lossy(&body);
        let status = match decode::<serde_json::Value>(token.trim(), &key, &validation) {
            Ok(data) => {
                // Truora retries: process each event id once.
                println!("hook {}", data.claims["events"]);
                "200 OK"
            }
            Err(_) => "401 Unauthorized",
        };
        let _ = write!(
            &stream,
            "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
    }
}
