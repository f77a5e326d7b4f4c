//! Mails per second into `hookscope listen --smtp` against aiosmtpd, the SMTP
//! server Python's testing tools stand on, under the same load, in the same run.
//!
//! Run: `cargo bench --bench smtp` (options after `--`: `--connections 8`,
//! `--seconds 5`, `--rounds 5`). Needs `python3 -m pip install aiosmtpd`.
//!
//! The reference is aiosmtpd's own server with a handler that appends each message
//! to a file before its `250`, as hookscope journals each mail before its `250`
//! (hookscope also parses the mail, reads its events and checks its DKIM: the mails
//! here are unsigned, so no DNS is asked). The load generator keeps N connections
//! busy, one thread each, each sending Truora-like mails of about 1.1 KB one after
//! another on its connection (`MAIL`, `RCPT`, `DATA`), and counts the 250s; the
//! journal is then checked against that count. Rounds alternate the order.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

mod common;

/// aiosmtpd with a handler that appends each message to a file before its 250.
const REFERENCE: &str = r#"
import asyncio, sys
from aiosmtpd.smtp import SMTP
class Keep:
    def __init__(self, path):
        self.out = open(path, "ab")
    async def handle_DATA(self, server, session, envelope):
        self.out.write(envelope.original_content.replace(b"\n", b" ") + b"\n")
        self.out.flush()
        return "250 OK"
async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(Keep(sys.argv[1])), "127.0.0.1", 0)
    print("smtp on smtp://127.0.0.1:%d" % server.sockets[0].getsockname()[1], file=sys.stderr, flush=True)
    await server.serve_forever()
asyncio.run(main())
"#;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let option = |name: &str, default: &str| common::option(&args, name, default);
    if args.iter().any(|a| a == "--test") || !args.iter().any(|a| a == "--bench") {
        eprintln!("smtp bench: run with `cargo bench --bench smtp`");
        return;
    }
    let have_aiosmtpd = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    if !have_aiosmtpd {
        eprintln!("smtp bench: needs aiosmtpd (python3 -m pip install aiosmtpd)");
        return;
    }
    let connections: usize = option("--connections", "8").parse().unwrap();
    let seconds: u64 = option("--seconds", "5").parse().unwrap();
    let rounds: usize = option("--rounds", "5").parse().unwrap();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "smtp bench: {connections} connections, {seconds} s per run, {rounds} rounds, {cores} cores, mails of {} bytes",
        message(0).len()
    );
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for round in 0..rounds {
        let order: [&str; 2] = if round % 2 == 0 {
            ["hookscope", "aiosmtpd"]
        } else {
            ["aiosmtpd", "hookscope"]
        };
        for which in order {
            let run = run_one(which, connections, seconds);
            println!(
                "  round {round} {which:<9}: {:>7.0} mails/s, CPU {:>6.1} µs/mail, errors {}, 250s {}, kept {}",
                run.rate, run.cpu_us, run.errors, run.accepted, run.kept
            );
            assert_eq!(run.errors, 0, "{which} refused mails");
            assert_eq!(
                run.accepted, run.kept,
                "{which} kept other than it accepted"
            );
            if which == "hookscope" {
                ours.push(run);
            } else {
                theirs.push(run);
            }
        }
    }
    let mut ratios: Vec<f64> = ours
        .iter()
        .zip(&theirs)
        .map(|(a, b)| a.rate / b.rate)
        .collect();
    ratios.sort_by(f64::total_cmp);
    let mut cpu: Vec<f64> = ours
        .iter()
        .zip(&theirs)
        .map(|(a, b)| a.cpu_us / b.cpu_us)
        .collect();
    cpu.sort_by(f64::total_cmp);
    println!(
        "hookscope / aiosmtpd within each round: {}; median {:.2}x mails/s, {:.2}x CPU per mail",
        ratios
            .iter()
            .map(|r| format!("{r:.2}"))
            .collect::<Vec<_>>()
            .join(", "),
        ratios[ratios.len() / 2],
        cpu[cpu.len() / 2]
    );
}

/// One measured run.
struct Run {
    rate: f64,
    cpu_us: f64,
    errors: u64,
    accepted: u64,
    kept: u64,
}

/// A Truora-like notification mail, unsigned, about 1.1 KB.
fn message(n: u64) -> String {
    let text = "The identity verification process finished. Open the dashboard to see its \
                documents, its face match and the checks that were run on the person. "
        .repeat(6);
    format!(
        "From: Truora <notifications@truora.com>\r\nTo: dev@example.com\r\nSubject: Digital identity IDP{n:032x} succeeded\r\nMessage-ID: <{n}@bench.truora.com>\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
    )
}

/// Starts `which`, loads it, stops it, and reads what it kept.
fn run_one(which: &str, connections: usize, seconds: u64) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("kept.ndjson");
    let mut child = match which {
        "hookscope" => Command::new(env!("CARGO_BIN_EXE_hookscope"))
            .args([
                "listen",
                "--bind",
                "127.0.0.1:0",
                "--smtp",
                "127.0.0.1:0",
                "--out",
            ])
            .arg(&out)
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
        _ => Command::new("python3")
            .args(["-c", REFERENCE])
            .arg(&out)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    };
    let addr = smtp_addr(&mut child);
    let pid = child.id();
    // A short warm-up, then the measured stretch.
    load(addr, connections, Duration::from_millis(500));
    let cpu_before = cpu_time(pid);
    let started = Instant::now();
    let (accepted, errors) = load(addr, connections, Duration::from_secs(seconds));
    let elapsed = started.elapsed();
    let cpu = cpu_time(pid) - cpu_before;
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let _ = child.wait();
    let kept_all = std::fs::read(&out)
        .map(|bytes| bytes.iter().filter(|&&b| b == b'\n').count() as u64)
        .unwrap_or(0);
    let warm = WARM.swap(0, Ordering::SeqCst);
    Run {
        rate: accepted as f64 / elapsed.as_secs_f64(),
        cpu_us: cpu.as_secs_f64() * 1e6 / accepted.max(1) as f64,
        errors,
        accepted,
        kept: kept_all - warm,
    }
}

/// Mails accepted in the warm-up of the run in progress.
static WARM: AtomicU64 = AtomicU64::new(0);

/// Reads the `smtp on smtp://ADDR` line.
fn smtp_addr(child: &mut Child) -> SocketAddr {
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "no smtp line");
        if let Some(addr) = line.trim().strip_prefix("smtp on smtp://") {
            let addr = addr.parse().unwrap();
            // Keep draining stderr so the server never blocks on it.
            std::thread::spawn(move || {
                let mut sink = Vec::new();
                let _ = stderr.read_to_end(&mut sink);
            });
            return addr;
        }
    }
}

/// Keeps `connections` sessions sending mails for `length`; the 250s and the errors.
fn load(addr: SocketAddr, connections: usize, length: Duration) -> (u64, u64) {
    let stop = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..connections)
        .map(|c| {
            let stop = stop.clone();
            let counter = counter.clone();
            std::thread::spawn(move || session(addr, c as u64, &stop, &counter))
        })
        .collect();
    std::thread::sleep(length);
    stop.store(true, Ordering::SeqCst);
    let mut accepted = 0;
    let mut errors = 0;
    for thread in threads {
        let (ok, bad) = thread.join().unwrap();
        accepted += ok;
        errors += bad;
    }
    if length < Duration::from_secs(1) {
        WARM.fetch_add(accepted, Ordering::SeqCst);
    }
    (accepted, errors)
}

/// One connection: EHLO, then mail after mail until told to stop.
fn session(addr: SocketAddr, c: u64, stop: &AtomicBool, counter: &AtomicU64) -> (u64, u64) {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_nodelay(true).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    let reply = |reader: &mut BufReader<TcpStream>| -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            all.push_str(&line);
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                return all;
            }
        }
    };
    reply(&mut reader);
    writer.write_all(b"EHLO bench.example\r\n").unwrap();
    reply(&mut reader);
    let (mut ok, mut bad) = (0, 0);
    while !stop.load(Ordering::Relaxed) {
        let n = counter.fetch_add(1, Ordering::Relaxed) * 64 + c;
        for command in [
            "MAIL FROM:<bounce@truora.com>\r\n".to_owned(),
            "RCPT TO:<dev@example.com>\r\n".to_owned(),
            "DATA\r\n".to_owned(),
        ] {
            writer.write_all(command.as_bytes()).unwrap();
            reply(&mut reader);
        }
        writer.write_all(message(n).as_bytes()).unwrap();
        writer.write_all(b".\r\n").unwrap();
        if reply(&mut reader).starts_with("250") {
            ok += 1;
        } else {
            bad += 1;
        }
    }
    let _ = writer.write_all(b"QUIT\r\n");
    (ok, bad)
}

/// A process's CPU time so far (user + system, all its threads), from /proc.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat(5); here counted from field 3.
    let ticks: u64 = fields
        .get(11..13)
        .map_or(0, |f| f.iter().filter_map(|v| v.parse::<u64>().ok()).sum());
    Duration::from_millis(ticks * 10)
}
