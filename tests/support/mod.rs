//! Helpers for the integration tests: the real binary on a port-0 listener, a raw
//! HTTP/1.1 client over real sockets, and tokens signed in the test.

#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

pub mod window;

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

/// A running `hookscope listen` on a free port, journaling to a temp dir.
pub struct Listener {
    pub child: Child,
    pub addr: SocketAddr,
    pub journal: PathBuf,
    pub stderr: Arc<Mutex<String>>,
    _dir: tempfile::TempDir,
}

impl Listener {
    /// Starts `hookscope listen --bind 127.0.0.1:0 --out <tmp> ARGS`.
    pub fn start(args: &[&str]) -> Listener {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = dir.path().join("journal.ndjson");
        Self::start_with(args, dir, journal)
    }

    /// Like [`Listener::start`] with a given journal path inside `dir`.
    pub fn start_with(args: &[&str], dir: tempfile::TempDir, journal: PathBuf) -> Listener {
        let mut command = Command::new(bin());
        command
            .arg("listen")
            .args(["--bind", "127.0.0.1:0", "--out"])
            .arg(&journal)
            .args(args);
        Self::spawn(command, dir, journal)
    }

    /// Runs `command` (any hookscope process that prints `listening on http://...`
    /// on stderr) and waits for that line.
    pub fn spawn(mut command: Command, dir: tempfile::TempDir, journal: PathBuf) -> Listener {
        let mut child = command
            .env_remove("HOOKSCOPE_SECRET")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn hookscope");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let pipe = child.stderr.take().expect("stderr");
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("listening on http://") {
                    let _ = tx.send(url.trim_end_matches('/').to_owned());
                }
                let mut all = sink.lock().unwrap();
                all.push_str(&line);
                all.push('\n');
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("no listening line; stderr: {}", stderr.lock().unwrap()))
            .parse()
            .expect("address");
        Listener {
            child,
            addr,
            journal,
            stderr,
            _dir: dir,
        }
    }

    /// POSTs `body` with `headers` on a fresh connection.
    pub fn post(&self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        request(self.addr, "POST", path, headers, body)
    }

    /// Every journal record so far.
    pub fn records(&self) -> Vec<Value> {
        read_journal(&self.journal)
    }

    /// The last journal record.
    pub fn last(&self) -> Value {
        self.records().pop().expect("a record")
    }

    /// Kills the process with SIGKILL `after` a burst from 8 concurrent senders
    /// started, and checks that every request answered 200 is in the journal.
    /// Returns the acknowledged paths.
    pub fn kill_9_during_burst(&mut self, after: Duration) -> Vec<String> {
        let token = sign(
            &truora_claims(),
            SECRET.as_bytes(),
            jsonwebtoken::Algorithm::HS256,
        );
        let burst = Burst::start(self.addr, &token, 8);
        std::thread::sleep(after);
        self.child.kill().unwrap(); // SIGKILL
        self.child.wait().unwrap();
        let acknowledged = burst.acknowledged();
        assert!(!acknowledged.is_empty(), "{}", self.stderr.lock().unwrap());
        let loaded = hookscope::export::load(&self.journal).unwrap();
        let paths = loaded.records.iter().map(|r| r.path.as_str());
        if let Some(problem) = missing(&acknowledged, paths) {
            panic!("journal: {problem}");
        }
        acknowledged
    }

    /// Sends SIGTERM and waits for the exit.
    pub fn terminate(mut self) -> (ExitStatus, Vec<Value>, String) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let exit = wait_timeout(&mut self.child, Duration::from_secs(30));
        let stderr = self.stderr.lock().unwrap().clone();
        (exit, self.records(), stderr)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for a child to exit, killing it after `limit`.
pub fn wait_timeout(child: &mut Child, limit: Duration) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("process did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn read_journal(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("journal line is JSON"))
        .collect()
}

/// A parsed HTTP response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Connects with a 20 s read timeout, so a hung server fails the test instead of hanging it.
pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    stream
}

/// One request on a fresh connection.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut stream = connect(addr);
    stream
        .write_all(&request_bytes(method, path, headers, body))
        .expect("write");
    read_reply(&mut BufReader::new(stream))
}

/// The bytes of a request with Host and Content-Length added.
pub fn request_bytes(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: hookscope.test\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

/// Reads one response (Content-Length framed, as hookscope replies).
pub fn read_reply<R: BufRead>(reader: &mut R) -> Reply {
    let mut status_line = String::new();
    reader.read_line(&mut status_line).expect("status line");
    let status = status_line
        .split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"))
        .parse()
        .expect("status");
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("header line");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').expect("header");
        headers.push((name.to_owned(), value.trim().to_owned()));
    }
    if status == 100 {
        return read_reply(reader);
    }
    let len: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map_or(0, |(_, v)| v.parse().expect("length"));
    let mut body = vec![0; len];
    reader.read_exact(&mut body).expect("body");
    Reply {
        status,
        headers,
        body,
    }
}

/// Runs `hookscope export FROM --to TO`.
pub fn export(from: &std::path::Path, to: &std::path::Path) -> std::process::Output {
    Command::new(bin())
        .arg("export")
        .arg(from)
        .arg("--to")
        .arg(to)
        .output()
        .expect("run export")
}

/// `hookscope listen --bind BIND` with stdout as given and stderr to read line by line.
pub fn spawn_listen(bind: &str, stdout: Stdio) -> (Child, BufReader<std::process::ChildStderr>) {
    let mut child = Command::new(bin())
        .args(["listen", "--bind", bind])
        .env_remove("HOOKSCOPE_SECRET")
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn hookscope");
    let stderr = BufReader::new(child.stderr.take().expect("stderr"));
    (child, stderr)
}

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

/// An X display for running the real window: a private Xvfb when the machine has
/// one, else the session's `DISPLAY`. `None` (test skipped) only outside CI: in CI
/// (`CI` set) a missing display fails the test, since `.ci/run` installs Xvfb.
pub struct Display {
    pub name: String,
    xvfb: Option<Child>,
}

impl Display {
    pub fn get() -> Option<Display> {
        if let Some(display) = Self::xvfb() {
            return Some(display);
        }
        if let Ok(name) = std::env::var("DISPLAY") {
            return Some(Display { name, xvfb: None });
        }
        assert!(
            std::env::var_os("CI").is_none(),
            "no Xvfb and no DISPLAY: install xvfb (see README)"
        );
        eprintln!("skipped: no Xvfb and no DISPLAY to run the window on");
        None
    }

    fn xvfb() -> Option<Display> {
        // A display number no other test or session uses.
        let first = 200 + std::process::id() % 500;
        let number = (first..first + 100).find(|n| {
            !std::path::Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                && !std::path::Path::new(&format!("/tmp/.X{n}-lock")).exists()
        })?;
        let name = format!(":{number}");
        let mut xvfb = Command::new("Xvfb")
            .args([&name, "-screen", "0", "1400x900x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let socket = format!("/tmp/.X11-unix/X{number}");
        let start = Instant::now();
        while !std::path::Path::new(&socket).exists() {
            let exited = !matches!(xvfb.try_wait(), Ok(None));
            if exited || start.elapsed() > Duration::from_secs(10) {
                let _ = xvfb.kill();
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(Display {
            name,
            xvfb: Some(xvfb),
        })
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        if let Some(xvfb) = &mut self.xvfb {
            // SIGTERM, so Xvfb removes its socket and lock file.
            let _ = Command::new("kill").arg(xvfb.id().to_string()).status();
            wait_timeout(xvfb, Duration::from_secs(10));
        }
    }
}

/// A request as a test app saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The request line and headers, as sent.
    pub head: String,
    pub body: Vec<u8>,
}

impl Seen {
    /// The value of header `name` (case-insensitive), trimmed.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// A test app on a real socket, a thread per connection: each request is read
/// whole and answered with the status line and JSON body `answer` gives (e.g.
/// `("200 OK", "")`; an empty body is sent without a content type).
pub fn app(
    answer: impl Fn(&Seen) -> (&'static str, &'static str) + Send + Sync + 'static,
) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let answer = Arc::new(answer);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let answer = answer.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    if line == "\r\n" {
                        break;
                    }
                    head.push_str(&line);
                }
                let mut seen = Seen {
                    head,
                    body: Vec::new(),
                };
                let length = seen
                    .header("content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                seen.body = vec![0; length];
                if std::io::Read::read_exact(&mut reader, &mut seen.body).is_err() {
                    return;
                }
                let (status, reply) = answer(&seen);
                let content_type = if reply.is_empty() {
                    ""
                } else {
                    "Content-Type: application/json\r\n"
                };
                let mut stream = stream;
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\n{content_type}Content-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                    reply.len()
                );
            });
        }
    });
    addr
}
