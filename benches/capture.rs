//! Capture throughput of `hookscope listen --out` against a minimal reference
//! receiver, under the same keep-alive load, in the same run.
//!
//! Run: `cargo bench --bench capture` (options after `--`: `--connections 50,200`,
//! `--seconds 5`, `--rounds 5`, `--pin`, or `--server-cores LIST --load-cores LIST`
//! as `taskset` takes them, e.g. `0-7` and `8-15`; `--against PATH` runs another
//! hookscope binary, an earlier build, in every round too, and prints the paired ratio). The references are this same file
//! started with `HOOKSCOPE_BENCH_ROLE=reference`: hyper's HTTP/1 server that reads the
//! body, verifies it with `jsonwebtoken::decode`, writes one line and answers 200.
//! Three are measured: `ref-token` appends the verdict and the token it received (the
//! least a journal holds) before replying, `ref-small` only the verdict and length,
//! and `ref-channel` replies first and hands the line to one writer thread through a
//! channel (a `BufWriter`): the fastest a receiver that writes anything can be, though
//! it acknowledges what is not yet on disk, which hookscope never does. The bar is set
//! against `ref-token`; the others are shown for scale.
//!
//! The load generator keeps N connections busy on one thread and counts
//! replies, errors and latencies; the journal is then checked against the 2xx count.

#![allow(clippy::unwrap_used)]

use std::convert::Infallible;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

mod common;

use common::{SECRET, token};

fn main() {
    if std::env::var("HOOKSCOPE_BENCH_ROLE").as_deref() == Ok("reference") {
        return reference_server();
    }
    let args: Vec<String> = std::env::args().collect();
    let option = |name: &str, default: &str| common::option(&args, name, default);
    // `cargo bench` passes `--bench`; `cargo test --benches` would run us briefly.
    if args.iter().any(|a| a == "--test") || !args.iter().any(|a| a == "--bench") {
        eprintln!("capture bench: run with `cargo bench --bench capture`");
        return;
    }
    let connections: Vec<usize> = option("--connections", "50,200")
        .split(',')
        .map(|n| n.parse().unwrap())
        .collect();
    let seconds: u64 = option("--seconds", "5").parse().unwrap();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pin = args.iter().any(|a| a == "--pin") && cores > 1;
    let server_cores = args
        .iter()
        .position(|a| a == "--server-cores")
        .map(|_| option("--server-cores", "0"));
    let load_cores = if pin {
        // The load generator gets every core but the server's.
        Some(format!("0-{}", cores - 2))
    } else {
        args.iter()
            .position(|a| a == "--load-cores")
            .map(|_| option("--load-cores", "0"))
    };
    if let Some(load_cores) = &load_cores {
        let _ = Command::new("taskset")
            .args([
                "-a",
                "-p",
                "-c",
                load_cores,
                &std::process::id().to_string(),
            ])
            .stdout(Stdio::null())
            .status();
    }
    let _ = PIN.set(if pin {
        Some((cores - 1).to_string())
    } else {
        server_cores.clone()
    });
    let rounds: usize = option("--rounds", "5").parse().unwrap();
    let _ = AGAINST.set(
        args.iter()
            .position(|a| a == "--against")
            .map(|_| option("--against", "").into()),
    );
    let token = token();
    println!(
        "capture bench: token {} bytes, {seconds} s per run, {rounds} rounds, cores {cores}, servers on cores {}, load on cores {}",
        token.len(),
        PIN.get()
            .cloned()
            .flatten()
            .unwrap_or_else(|| "any".to_owned()),
        load_cores.as_deref().unwrap_or("any")
    );
    for &conns in &connections {
        let mut results: Vec<(&str, Vec<Run>)> = vec![
            ("ref-token", vec![]),
            ("hookscope", vec![]),
            ("ref-small", vec![]),
            ("ref-channel", vec![]),
        ];
        if AGAINST.get().cloned().flatten().is_some() {
            results.push(("against", vec![]));
        }
        let contenders = results.len();
        for round in 0..rounds {
            // Alternate the order so neither side always runs on a warmer machine.
            let mut order: Vec<usize> = (0..contenders).collect();
            if round % 2 == 1 {
                order.reverse();
            }
            for which in order {
                let run = run_one(results[which].0, conns, seconds, &token);
                println!(
                    "  {conns:>3} conns round {round} {:<11}: {:>8.0} req/s, CPU {:>5.1} µs/req, p50 {:>6.2} ms, p99 {:>6.2} ms, errors {}, 2xx {} (incl. warm-up), journal lines {}",
                    results[which].0,
                    run.rps,
                    run.cpu_us,
                    run.p50_ms,
                    run.p99_ms,
                    run.errors,
                    run.ok_all,
                    run.journal_lines
                );
                results[which].1.push(run);
            }
        }
        let median = |runs: &Vec<Run>| {
            let mut v: Vec<&Run> = runs.iter().collect();
            v.sort_by(|a, b| a.rps.total_cmp(&b.rps));
            v[v.len() / 2].clone()
        };
        // Each round runs hookscope right beside both references, so a ratio taken
        // within a round is not skewed by the machine drifting between rounds.
        let mut paired: Vec<f64> = (0..rounds)
            .map(|r| results[1].1[r].rps / results[0].1[r].rps)
            .collect();
        paired.sort_by(f64::total_cmp);
        let reference = median(&results[0].1);
        let ours = median(&results[1].1);
        let small = median(&results[2].1);
        let channel = median(&results[3].1);
        let mut to_channel: Vec<f64> = (0..rounds)
            .map(|r| results[1].1[r].rps / results[3].1[r].rps)
            .collect();
        to_channel.sort_by(f64::total_cmp);
        // ref-channel replies before its line is written: its file may lag its 2xx.
        let all_ok = results
            .iter()
            .filter(|(name, _)| *name != "ref-channel")
            .flat_map(|(_, runs)| runs)
            .all(|r| r.errors == 0 && r.ok_all == r.journal_lines);
        println!(
            "{conns} connections: hookscope / ref-token within each round: {}; median {:.2}x",
            paired
                .iter()
                .map(|r| format!("{r:.2}"))
                .collect::<Vec<_>>()
                .join(", "),
            paired[paired.len() / 2]
        );
        println!(
            "{conns} connections (medians): hookscope {:.0} req/s (p99 {:.2} ms); ref-token {:.0} req/s (p99 {:.2} ms): ratio {:.2}x, p99 ratio {:.2}x; ref-small {:.0} req/s: ratio {:.2}x; zero errors and journal lines == 2xx in every run: {all_ok}",
            ours.rps,
            ours.p99_ms,
            reference.rps,
            reference.p99_ms,
            ours.rps / reference.rps,
            ours.p99_ms / reference.p99_ms,
            small.rps,
            ours.rps / small.rps
        );
        println!(
            "{conns} connections: hookscope / ref-channel (replies first, one writer thread) {:.0} req/s: median per round {:.2}x",
            channel.rps,
            to_channel[to_channel.len() / 2]
        );
        if contenders > 4 {
            let mut to_against: Vec<f64> = (0..rounds)
                .map(|r| results[1].1[r].rps / results[4].1[r].rps)
                .collect();
            to_against.sort_by(f64::total_cmp);
            let mut cpu_against: Vec<f64> = (0..rounds)
                .map(|r| results[1].1[r].cpu_us / results[4].1[r].cpu_us)
                .collect();
            cpu_against.sort_by(f64::total_cmp);
            println!(
                "{conns} connections: hookscope / --against within each round: {}; median {:.2}x throughput, {:.2}x CPU per request",
                to_against
                    .iter()
                    .map(|r| format!("{r:.2}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                to_against[to_against.len() / 2],
                cpu_against[cpu_against.len() / 2]
            );
        }
        // CPU per request: the work each receiver does, whatever the cores.
        let cpu = |runs: &Vec<Run>| {
            let mut v: Vec<f64> = runs.iter().map(|r| r.cpu_us).collect();
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let (ours_cpu, token_cpu) = (cpu(&results[1].1), cpu(&results[0].1));
        println!(
            "{conns} connections, server CPU per request (medians): hookscope {ours_cpu:.1} µs, ref-token {token_cpu:.1} µs ({:.2}x), ref-small {:.1} µs, ref-channel {:.1} µs",
            ours_cpu / token_cpu,
            cpu(&results[2].1),
            cpu(&results[3].1)
        );
    }
}

#[derive(Clone, Debug)]
struct Run {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
    ok_all: u64,
    journal_lines: u64,
    /// The server's CPU time (user + system, every thread) per 2xx reply, warm-up included.
    cpu_us: f64,
}

/// A process's CPU time so far (user + system, all its threads), from /proc.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at the last ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of stat(5); here counted from field 3.
    let total = ticks(11) + ticks(12);
    Duration::from_secs_f64(total as f64 / clock_ticks() as f64)
}

/// Clock ticks per second, as `getconf CLK_TCK` says (100 on Linux).
fn clock_ticks() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
            .unwrap_or(100)
    })
}

fn run_one(which: &str, conns: usize, seconds: u64, token: &str) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.ndjson");
    let mut child = match which {
        "ref-token" | "ref-small" | "ref-channel" => {
            server_command(std::env::current_exe().unwrap())
                .env("HOOKSCOPE_BENCH_ROLE", "reference")
                .env("REFERENCE_LINE", which)
                .env("REFERENCE_OUT", &journal)
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        }
        _ => server_command(match which {
            "against" => AGAINST.get().cloned().flatten().unwrap(),
            _ => env!("CARGO_BIN_EXE_hookscope").into(),
        })
        .args([
            "listen",
            "--bind",
            "127.0.0.1:0",
            "--secret",
            SECRET,
            "--out",
        ])
        .arg(&journal)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap(),
    };
    let addr = listening_addr(&mut child);
    let Load {
        ok,
        ok_all,
        errors,
        mut latencies,
        window,
    } = load(addr, conns, Duration::from_secs(seconds), token);
    let cpu = cpu_time(child.id());
    stop(&mut child);
    let journal_lines = count_lines(&journal);
    latencies.sort_unstable();
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    Run {
        rps: ok as f64 / window.as_secs_f64(),
        ok_all,
        p50_ms: pick(0.50),
        p99_ms: pick(0.99),
        errors,
        journal_lines,
        cpu_us: cpu.as_secs_f64() * 1e6 / ok_all.max(1) as f64,
    }
}

/// The cores servers run on (`--pin`: the last one; `--server-cores LIST`), so the
/// load generator does not take CPU from the server under test.
static PIN: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
/// Another hookscope binary run beside this build (`--against`).
static AGAINST: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();

fn server_command(exe: std::path::PathBuf) -> Command {
    match PIN.get().cloned().flatten() {
        Some(cores) => {
            let mut command = Command::new("taskset");
            command.args(["-c", &cores]).arg(exe);
            command
        }
        None => Command::new(exe),
    }
}

fn listening_addr(child: &mut Child) -> SocketAddr {
    let stderr = child.stderr.take().unwrap();
    let mut reader = BufReader::new(stderr);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            panic!("server exited before listening");
        }
        if let Some(rest) = line.trim().strip_prefix("listening on http://") {
            // Keep draining stderr so the server never blocks on a full pipe.
            std::thread::spawn(move || for _ in reader.lines() {});
            return rest.trim_end_matches('/').parse().unwrap();
        }
    }
}

fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

fn count_lines(path: &Path) -> u64 {
    std::fs::read(path)
        .map(|b| b.iter().filter(|c| **c == b'\n').count() as u64)
        .unwrap_or(0)
}

/// What one load run saw.
struct Load {
    /// 2xx replies in the measured window.
    ok: u64,
    /// 2xx replies including the warm-up: what the journal must hold.
    ok_all: u64,
    errors: u64,
    latencies: Vec<Duration>,
    window: Duration,
}

/// Keeps `conns` keep-alive connections busy for `duration` (after a 1 s warm-up
/// that is not counted). One thread: the same load-side cost for either server.
fn load(addr: SocketAddr, conns: usize, duration: Duration, token: &str) -> Load {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let body = Bytes::from(token.to_owned());
        let warm_until = Instant::now() + Duration::from_secs(1);
        let end = warm_until + duration;
        let tasks: Vec<_> = (0..conns)
            .map(|_| {
                let body = body.clone();
                tokio::spawn(async move {
                    let mut ok = 0u64;
                    let mut ok_all = 0u64;
                    let mut errors = 0u64;
                    let mut latencies = Vec::new();
                    let stream = match tokio::net::TcpStream::connect(addr).await {
                        Ok(s) => s,
                        Err(_) => return (0, 0, 1, latencies),
                    };
                    let _ = stream.set_nodelay(true);
                    let (mut sender, conn) =
                        match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await {
                            Ok(x) => x,
                            Err(_) => return (0, 0, 1, latencies),
                        };
                    tokio::spawn(conn);
                    loop {
                        let started = Instant::now();
                        if started >= end {
                            break;
                        }
                        let request = Request::post("/hooks/truora")
                            .header("host", "bench")
                            .header("content-type", "application/jwt")
                            .body(Full::new(body.clone()))
                            .unwrap();
                        let result = async {
                            sender.ready().await?;
                            let response = sender.send_request(request).await?;
                            let status = response.status();
                            response.into_body().collect().await?;
                            Ok::<_, hyper::Error>(status)
                        }
                        .await;
                        let counted = started >= warm_until;
                        match result {
                            Ok(status) if status.is_success() => {
                                ok_all += 1;
                                if counted {
                                    ok += 1;
                                    latencies.push(started.elapsed());
                                }
                            }
                            _ => {
                                errors += 1;
                                break;
                            }
                        }
                    }
                    (ok, ok_all, errors, latencies)
                })
            })
            .collect();
        let mut ok = 0;
        let mut ok_all = 0;
        let mut errors = 0;
        let mut latencies = Vec::new();
        for task in tasks {
            let (o, all, e, l) = task.await.unwrap();
            ok += o;
            ok_all += all;
            errors += e;
            latencies.extend(l);
        }
        Load {
            ok,
            ok_all,
            errors,
            latencies,
            window: duration,
        }
    })
}

/// The reference receiver: minimal, correct, verifying and appending a line.
fn reference_server() {
    let out = std::env::var("REFERENCE_OUT").unwrap();
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(out)
        .unwrap();
    let file = Arc::new(Mutex::new(file));
    let kind = std::env::var("REFERENCE_LINE").unwrap_or_default();
    let with_token = kind != "ref-small";
    // ref-channel: the line goes to one writer thread; the reply does not wait for it.
    let channel = (kind == "ref-channel").then(|| {
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let file = file.clone();
        std::thread::spawn(move || {
            let mut out = std::io::BufWriter::new(file.lock().unwrap().try_clone().unwrap());
            for line in rx {
                let _ = out.write_all(line.as_bytes());
            }
        });
        Arc::new(Mutex::new(tx))
    });
    // Every core the process may use, as hookscope's default.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        eprintln!("listening on http://{}/", listener.local_addr().unwrap());
        let key = Arc::new(jsonwebtoken::DecodingKey::from_secret(SECRET.as_bytes()));
        let validation = Arc::new(common::reference_validation());
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let _ = stream.set_nodelay(true);
            let (file, key, validation) = (file.clone(), key.clone(), validation.clone());
            let channel = channel.clone();
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
                        let (file, key, validation) =
                            (file.clone(), key.clone(), validation.clone());
                        let channel = channel.clone();
                        async move {
                            let body = request
                                .into_body()
                                .collect()
                                .await
                                .map(|b| b.to_bytes())
                                .unwrap_or_default();
                            let token = std::str::from_utf8(&body).unwrap_or_default().trim();
                            let valid =
                                jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation)
                                    .is_ok();
                            let line = if with_token {
                                format!("{{\"valid\":{valid},\"token\":{token:?}}}\n")
                            } else {
                                format!("{{\"valid\":{valid},\"len\":{}}}\n", body.len())
                            };
                            match &channel {
                                Some(tx) => {
                                    let _ = tx.lock().unwrap().send(line);
                                }
                                None => file.lock().unwrap().write_all(line.as_bytes()).unwrap(),
                            }
                            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(
                                b"{\"ok\":true}",
                            ))))
                        }
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}
