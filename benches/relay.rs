//! The relay under followers: `hookscope listen --out --api` with N followers on
//! its `/v1/stream`, measured in the same run.
//!
//! Run: `cargo bench --bench relay` (options after `--`: `--followers 20`, `--rate
//! 5000`, `--seconds 10`, `--rounds 3`).
//!
//! 1. Lag: hooks sent at a steady `--rate` for `--seconds` while the followers read;
//!    for every record each follower gets, its lag is the follower's clock at
//!    reading less the record's `received_at` (the relay's clock when it captured
//!    it; same machine, same clock). Every follower must get every record.
//! 2. Capture rate: the relay's throughput under a closed-loop load (as the capture
//!    bench's, 3 s) with no follower and with `--followers` reading, rounds
//!    alternating; the ratio of the medians.
//!
//! The followers here are SSE readers in the bench itself (a thread each), not
//! `attach` processes: they measure what the relay serves, not what a laptop does
//! with it.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;

const TOKEN: &str = "9d8c7b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa998877665544";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let option = |name: &str, default: &str| common::option(&args, name, default);
    if args.iter().any(|a| a == "--test") || !args.iter().any(|a| a == "--bench") {
        eprintln!("relay bench: run with `cargo bench --bench relay`");
        return;
    }
    let followers: usize = option("--followers", "20").parse().unwrap();
    let rate: u64 = option("--rate", "5000").parse().unwrap();
    let seconds: u64 = option("--seconds", "10").parse().unwrap();
    let rounds: usize = option("--rounds", "3").parse().unwrap();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let hook = common::token();
    println!(
        "relay bench: {followers} followers, {rate} hooks/s for {seconds} s, {rounds} capture rounds, {cores} cores"
    );

    // 1. Lag at a steady rate.
    let relay = Relay::start();
    let readers: Vec<Reader> = (0..followers).map(|_| Reader::start(relay.api)).collect();
    std::thread::sleep(Duration::from_millis(300));
    let sent = steady(relay.capture, &hook, rate, Duration::from_secs(seconds));
    let deadline = Instant::now() + Duration::from_secs(30);
    while readers.iter().any(|r| r.count() < sent) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut lags: Vec<f64> = Vec::new();
    let mut complete = true;
    for reader in readers {
        let (count, mine) = reader.stop();
        complete &= count == sent;
        lags.extend(mine);
    }
    lags.sort_by(f64::total_cmp);
    let pick = |q: f64| lags[((lags.len() as f64 * q) as usize).min(lags.len() - 1)];
    println!(
        "lag, relay capture to follower, {} readings: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {sent} hooks sent, every follower got every one: {complete}",
        lags.len(),
        pick(0.5),
        pick(0.99),
        pick(1.0)
    );
    drop(relay);

    // 2. The capture rate with and without followers.
    let mut alone = Vec::new();
    let mut followed = Vec::new();
    for round in 0..rounds {
        for with in if round % 2 == 0 {
            [false, true]
        } else {
            [true, false]
        } {
            let relay = Relay::start();
            // Followers that only drain: the relay's cost, not the bench's parsing.
            let readers: Vec<Reader> = if with {
                (0..followers)
                    .map(|_| Reader::draining(relay.api))
                    .collect()
            } else {
                Vec::new()
            };
            std::thread::sleep(Duration::from_millis(300));
            let rps = closed_loop(relay.capture, &hook, 32, Duration::from_secs(3));
            for reader in readers {
                reader.stop();
            }
            println!(
                "  round {round} {}: {rps:.0} hooks/s",
                if with {
                    "with followers"
                } else {
                    "no follower   "
                }
            );
            if with { &mut followed } else { &mut alone }.push(rps);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (a, f) = (median(&mut alone), median(&mut followed));
    println!(
        "capture rate with {followers} followers / with none (medians): {f:.0} / {a:.0} = {:.2}x",
        f / a
    );
}

/// A relay on free ports, journaling to a folder of its own; killed on drop.
struct Relay {
    child: Child,
    capture: SocketAddr,
    api: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Relay {
    fn start() -> Relay {
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("token");
        std::fs::write(&token, TOKEN).unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_hookscope"))
            .args(["listen", "--bind", "127.0.0.1:0", "--api", "127.0.0.1:0"])
            .arg("--out")
            .arg(dir.path().join("relay.ndjson"))
            .arg("--api-token-file")
            .arg(&token)
            .args(["--secret", common::SECRET])
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let (mut capture, mut api) = (None, None);
        let mut line = String::new();
        while capture.is_none() || api.is_none() {
            line.clear();
            assert!(
                stderr.read_line(&mut line).unwrap() > 0,
                "the relay did not start"
            );
            let addr = |prefix: &str| {
                line.trim()
                    .strip_prefix(prefix)
                    .map(|a| a.trim_end_matches('/').parse::<SocketAddr>().unwrap())
            };
            capture = capture.or_else(|| addr("listening on http://"));
            api = api.or_else(|| addr("api on http://"));
        }
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = stderr.read_to_end(&mut sink);
        });
        Relay {
            child,
            capture: capture.unwrap(),
            api: api.unwrap(),
            _dir: dir,
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A follower on `/v1/stream`: how many records it read, and each one's lag.
struct Reader {
    count: Arc<AtomicU64>,
    lags: Arc<Mutex<Vec<f64>>>,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Reader {
    /// A reader that times every record (`measure`), or only drains the stream.
    fn start(api: SocketAddr) -> Reader {
        Reader::reading(api, true)
    }

    fn draining(api: SocketAddr) -> Reader {
        Reader::reading(api, false)
    }

    fn reading(api: SocketAddr, measure: bool) -> Reader {
        let count = Arc::new(AtomicU64::new(0));
        let lags = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (count, lags, stop) = (count.clone(), lags.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut stream = TcpStream::connect(api).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_millis(200)))
                    .unwrap();
                write!(
                    stream,
                    "GET /v1/stream?after=0 HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
                )
                .unwrap();
                if !measure {
                    let mut buf = vec![0u8; 1 << 16];
                    while !stop.load(Ordering::Relaxed) {
                        match stream.read(&mut buf) {
                            Ok(0) => break,
                            Ok(n) => {
                                count.fetch_add(n as u64, Ordering::Relaxed);
                            }
                            Err(_) => continue,
                        }
                    }
                    return;
                }
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                let mut mine = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    line.clear();
                    match reader.read_line(&mut line) {
                        Ok(0) => break,
                        Ok(_) => {}
                        Err(_) => continue,
                    }
                    let Some(data) = line.strip_prefix("data: ") else {
                        continue;
                    };
                    let now = jiff::Timestamp::now().as_millisecond();
                    // `"received_at":"...Z"` is the third field of every record line.
                    if let Some(at) = data
                        .split_once("\"received_at\":\"")
                        .and_then(|(_, rest)| rest.split_once('"'))
                        .and_then(|(at, _)| at.parse::<jiff::Timestamp>().ok())
                    {
                        mine.push((now - at.as_millisecond()) as f64);
                    }
                    count.fetch_add(1, Ordering::Relaxed);
                }
                lags.lock().unwrap().extend(mine);
            })
        };
        Reader {
            count,
            lags,
            stop,
            thread,
        }
    }

    fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    fn stop(self) -> (u64, Vec<f64>) {
        self.stop.store(true, Ordering::Relaxed);
        let count = self.count();
        self.thread.join().unwrap();
        let lags = std::mem::take(&mut *self.lags.lock().unwrap());
        (count.max(self.count.load(Ordering::Relaxed)), lags)
    }
}

/// One keep-alive POST of `hook`; true on 200.
fn post(stream: &mut TcpStream, reader: &mut BufReader<TcpStream>, hook: &str) -> bool {
    write!(
        stream,
        "POST /hooks/truora HTTP/1.1\r\nHost: relay\r\nContent-Type: application/jwt\r\nContent-Length: {}\r\n\r\n{hook}",
        hook.len()
    )
    .unwrap();
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).unwrap();
    status.starts_with("HTTP/1.1 200")
}

fn connect(addr: SocketAddr) -> (TcpStream, BufReader<TcpStream>) {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_nodelay(true).unwrap();
    let reader = BufReader::new(stream.try_clone().unwrap());
    (stream, reader)
}

/// `rate` hooks a second for `length`, from 4 connections paced evenly; how many.
fn steady(addr: SocketAddr, hook: &str, rate: u64, length: Duration) -> u64 {
    let senders = 4u64;
    let each = rate / senders;
    let threads: Vec<_> = (0..senders)
        .map(|_| {
            let hook = hook.to_owned();
            std::thread::spawn(move || {
                let (mut stream, mut reader) = connect(addr);
                let started = Instant::now();
                let total = each * length.as_secs();
                for n in 0..total {
                    let due = started + Duration::from_nanos(n * 1_000_000_000 / each);
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    assert!(post(&mut stream, &mut reader, &hook));
                }
                total
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).sum()
}

/// `connections` senders as fast as the relay answers, for `length`; hooks a second.
fn closed_loop(addr: SocketAddr, hook: &str, connections: usize, length: Duration) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..connections)
        .map(|_| {
            let (hook, stop, done) = (hook.to_owned(), stop.clone(), done.clone());
            std::thread::spawn(move || {
                let (mut stream, mut reader) = connect(addr);
                while !stop.load(Ordering::Relaxed) {
                    if post(&mut stream, &mut reader, &hook) {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    let started = Instant::now();
    std::thread::sleep(length);
    stop.store(true, Ordering::Relaxed);
    let elapsed = started.elapsed();
    for thread in threads {
        thread.join().unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64()
}
