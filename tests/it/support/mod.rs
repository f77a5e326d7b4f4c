//! Helpers for the integration tests: the real binary on a port-0 listener, a raw
//! HTTP/1.1 client over real sockets, and tokens signed in the test.

#![allow(dead_code, unused_imports)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

mod app;
mod burst;
mod display;
pub mod dns;
pub mod dovecot;
mod http;
mod listener;
pub mod tls;
pub mod window;

pub use app::*;
pub use burst::*;
pub use display::*;
pub use http::*;
pub use listener::*;

/// Whether `program` runs and succeeds with `probe` (a tool a test needs is there).
pub fn have(program: &str, probe: &[&str]) -> bool {
    Command::new(program)
        .args(probe)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_hookscope")
}

pub const SECRET: &str = "truora-hook-secret-0123456789abcdef";

/// Signs `claims` with `secret` as a Truora hook would be.
pub fn sign(claims: &Value, secret: &[u8], alg: jsonwebtoken::Algorithm) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(alg),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .expect("sign")
}

/// A Truora-shaped batch with one digital-identity event.
pub fn truora_claims() -> Value {
    serde_json::json!({
        "iss": "Truora", "iat": 1714000000,
        "events": [{
            "id": "HKE123", "event_type": "digital_identity.identity_process",
            "event_action": "succeeded", "version": "1.0",
            "timestamp": "2026-04-24T10:00:00Z",
            "object": {"process_id": "IDP456", "flow_id": "IPF1", "account_id": "ACC1", "status": "success"}
        }]
    })
}
