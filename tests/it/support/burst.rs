//! Concurrent keep-alive senders, and what a journal lacks of what they were acknowledged.

#![allow(unused_imports)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::*;

/// Concurrent keep-alive senders POSTing `token` to `/burst/SENDER/N` until stopped.
pub struct Burst {
    stop: Arc<std::sync::atomic::AtomicBool>,
    senders: Vec<std::thread::JoinHandle<Vec<String>>>,
}

impl Burst {
    pub fn start(addr: SocketAddr, token: &str, senders: usize) -> Burst {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let senders = (0..senders)
            .map(|sender| {
                let (token, stop) = (token.to_owned(), stop.clone());
                std::thread::spawn(move || send_until_stopped(addr, &token, sender, &stop))
            })
            .collect();
        Burst { stop, senders }
    }

    /// Stops the senders; the paths that were answered 200.
    pub fn acknowledged(self) -> Vec<String> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.senders
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect()
    }
}

fn send_until_stopped(
    addr: SocketAddr,
    token: &str,
    sender: usize,
    stop: &std::sync::atomic::AtomicBool,
) -> Vec<String> {
    let mut acknowledged = Vec::new();
    let mut n = 0;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let Ok(stream) = TcpStream::connect(addr) else {
            break;
        };
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut writer = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        for _ in 0..20 {
            n += 1;
            let path = format!("/burst/{sender}/{n}");
            let bytes = request_bytes("POST", &path, &[], token.as_bytes());
            if writer.write_all(&bytes).is_err() {
                return acknowledged;
            }
            // A killed server ends the reply midway: that request was not acknowledged.
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_reply(&mut reader)))
            {
                Ok(reply) if reply.status == 200 => acknowledged.push(path),
                _ => return acknowledged,
            }
        }
    }
    acknowledged
}

/// The acknowledged paths that `paths` lacks, as a failure message; `None` when none.
pub fn missing<'a>(
    acknowledged: &'a [String],
    paths: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let present: std::collections::HashSet<&str> = paths.into_iter().collect();
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|p| !present.contains(p.as_str()))
        .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "{} of {} acknowledged requests are missing, e.g. {:?}",
            missing.len(),
            acknowledged.len(),
            missing[0]
        )
    })
}
