//! The relay: `listen --api` on one side, `attach` on the other, as separate
//! processes over real TLS with a CA the test makes; `kill -9` of `attach`
//! mid-stream and a restart of the relay lose nothing and deliver nothing twice;
//! the app gets each hook byte-exact; tokens are checked before any byte is served.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{self, Listener, SECRET, read_journal, sign, tls::Pki, truora_claims};

/// What the local app was given: the request head and the body.
type Delivered = (String, Vec<u8>);

/// A token file of 64 hex characters, owner-only.
fn token_file(dir: &Path) -> PathBuf {
    let path = dir.join("api-token");
    std::fs::write(
        &path,
        "6f1c0d5be2a94e7f8a3b21c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The relay: `listen` with HTTPS capture and the API on `api_port`, journaling
/// to `journal`.
fn relay(pki: &Pki, dir: &Path, journal: &Path, api_port: u16) -> Listener {
    let mut command = Command::new(support::bin());
    command
        .args([
            "listen",
            "--bind",
            "127.0.0.1:0",
            "--secret",
            SECRET,
            "--out",
        ])
        .arg(journal)
        .args([
            "--api",
            &format!("127.0.0.1:{api_port}"),
            "--api-token-file",
        ])
        .arg(token_file(dir))
        .args(pki.args());
    let listener = Listener::spawn(command, tempfile::tempdir().unwrap(), journal.to_owned());
    said(&listener.stderr, "api on https://");
    listener
}

/// Waits until `text` is on the process's stderr.
fn said(stderr: &Arc<Mutex<String>>, text: &str) -> String {
    let started = Instant::now();
    loop {
        let now = stderr.lock().unwrap().clone();
        if now.contains(text) {
            return now;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no {text:?}: {now}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `attach` to the relay's API, delivering to `app`, journaling to `journal`.
fn attach(pki: &Pki, dir: &Path, api_port: u16, app: SocketAddr, journal: &Path) -> Child {
    Command::new(support::bin())
        .args([
            "attach",
            &format!("https://localhost:{api_port}"),
            "--token-file",
        ])
        .arg(token_file(dir))
        .arg("--ca")
        .arg(&pki.ca)
        .args(["--from", "start", "--secret", SECRET, "--out"])
        .arg(journal)
        .args(["--forward-to", &format!("http://{app}")])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Sends `n` genuine hooks over HTTPS to the relay's capture listener, paths
/// `/hooks/truora?n=FIRST..`.
fn send(pki: &Pki, relay: SocketAddr, first: usize, n: usize) {
    for i in first..first + n {
        let token = sign(
            &truora_claims(),
            SECRET.as_bytes(),
            jsonwebtoken::Algorithm::HS256,
        );
        let request = format!(
            "POST /hooks/truora?n={i} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/jwt\r\nX-Trace: t{i}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{token}",
            token.len()
        );
        let reply = pki.exchange(relay, request.as_bytes()).unwrap();
        assert!(
            reply.starts_with(b"HTTP/1.1 200"),
            "{}",
            String::from_utf8_lossy(&reply)
        );
    }
}

/// Waits until the journal at `path` holds `n` records.
fn until_records(path: &Path, n: usize) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let records = if path.exists() {
            read_journal(path)
        } else {
            Vec::new()
        };
        if records.len() >= n {
            return records;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{} of {n} records in {}",
            records.len(),
            path.display()
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

#[test]
fn attach_follows_a_relay_over_tls_through_a_kill_9_and_a_restart_losing_nothing_and_delivering_byte_exact()
 {
    let pki = support::tls::pki();
    let dir = tempfile::tempdir().unwrap();
    let relay_journal = dir.path().join("relay.ndjson");
    let local_journal = dir.path().join("local.ndjson");
    let api_port = free_port();
    // The local app: every request it is given, as it came.
    let seen: Arc<Mutex<Vec<Delivered>>> = Arc::default();
    let app = {
        let seen = seen.clone();
        support::app(move |request| {
            seen.lock()
                .unwrap()
                .push((request.head.clone(), request.body.clone()));
            ("200 OK", "")
        })
    };
    let relay1 = relay(&pki, dir.path(), &relay_journal, api_port);
    send(&pki, relay1.addr, 0, 5);
    let mut follower = attach(&pki, dir.path(), api_port, app, &local_journal);
    until_records(&local_journal, 5);
    send(&pki, relay1.addr, 5, 5);
    until_records(&local_journal, 10);
    // attach dies mid-stream (SIGKILL), the relay goes on.
    follower.kill().unwrap();
    follower.wait().unwrap();
    send(&pki, relay1.addr, 10, 5);
    // The relay restarts too, on the same journal and API port.
    let (status, _, _) = relay1.terminate();
    assert!(status.success());
    let relay2 = relay(&pki, dir.path(), &relay_journal, api_port);
    let mut follower = attach(&pki, dir.path(), api_port, app, &local_journal);
    send(&pki, relay2.addr, 15, 5);
    until_records(&local_journal, 20);
    // A moment for anything extra (a record twice) to show.
    std::thread::sleep(Duration::from_millis(500));
    let local = read_journal(&local_journal);
    follower.kill().unwrap();
    follower.wait().unwrap();
    let relayed = read_journal(&relay_journal);
    assert_eq!(relayed.len(), 20);
    // Every relay record journaled locally exactly once, in order, verified here.
    let origins: Vec<u64> = local
        .iter()
        .map(|r| r["origin"]["id"].as_u64().unwrap())
        .collect();
    assert_eq!(origins, (1..=20).collect::<Vec<u64>>());
    for (mine, theirs) in local.iter().zip(&relayed) {
        assert_eq!(
            mine["origin"]["relay"],
            format!("https://localhost:{api_port}")
        );
        assert_eq!(mine["body"], theirs["body"]);
        assert_eq!(mine["path"], theirs["path"]);
        assert_eq!(mine["verification"]["signature"], "valid");
        assert_eq!(mine["response"]["forwarded"]["status"], 200);
    }
    // The app got each hook once (attach was killed while idle), byte-exact.
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 20, "deliveries: {}", seen.len());
    for (i, (head, body)) in seen.iter().enumerate() {
        assert!(
            head.starts_with(&format!("POST /hooks/truora?n={i} HTTP/1.1")),
            "{head}"
        );
        assert!(
            head.to_ascii_lowercase()
                .contains(&format!("x-trace: t{i}")),
            "{head}"
        );
        assert_eq!(
            body.as_slice(),
            relayed[i]["body"].as_str().unwrap().as_bytes()
        );
    }
    drop(relay2);
}

/// One raw HTTPS exchange with the API; the status and the body.
fn call(pki: &Pki, api: SocketAddr, path: &str, token: Option<&str>) -> (u16, Vec<u8>) {
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n{auth}Connection: close\r\n\r\n");
    let reply = pki.exchange(api, request.as_bytes()).unwrap();
    let text = String::from_utf8_lossy(&reply).into_owned();
    let status = text[9..12].parse().unwrap();
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .as_bytes()
        .to_vec();
    (status, body)
}

#[test]
fn the_api_answers_401_without_a_byte_of_data_then_429_and_refuses_weak_tokens_at_start() {
    let pki = support::tls::pki();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("relay.ndjson");
    let api_port = free_port();
    let relay = relay(&pki, dir.path(), &journal, api_port);
    send(&pki, relay.addr, 0, 2);
    let api: SocketAddr = format!("127.0.0.1:{api_port}").parse().unwrap();
    let token = std::fs::read_to_string(token_file(dir.path())).unwrap();
    let token = token.trim();
    let (status, body) = call(&pki, api, "/v1/records", Some(token));
    assert_eq!(status, 200);
    assert_eq!(String::from_utf8_lossy(&body).lines().count(), 2);
    let (status, body) = call(&pki, api, "/v1/health", Some(token));
    assert_eq!(status, 200);
    let health: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(health["last_id"], 2);
    assert_eq!(call(&pki, api, "/elsewhere", Some(token)).0, 404);
    // Missing and wrong tokens: 401 and nothing of a record.
    let wrong = "0".repeat(64);
    for given in [None, Some(wrong.as_str()), Some(&token[..63])] {
        let (status, body) = call(&pki, api, "/v1/records", given);
        assert_eq!(status, 401);
        assert!(body.is_empty(), "{}", String::from_utf8_lossy(&body));
    }
    // Repeated failures are slowed, then refused for a while, even with the right token.
    let started = Instant::now();
    let mut last = 0;
    // Three failures above; seven more make ten, the last five each a second late.
    for _ in 0..7 {
        last = call(&pki, api, "/v1/stream", Some(&wrong)).0;
    }
    assert!(
        started.elapsed() >= Duration::from_secs(4),
        "failures were not slowed"
    );
    assert_eq!(last, 401);
    assert_eq!(call(&pki, api, "/v1/records", Some(token)).0, 429);
    drop(relay);

    // A short token, or a token file others can read, stops the relay at start.
    let short = dir.path().join("short");
    std::fs::write(&short, "too-short").unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&short, std::fs::Permissions::from_mode(0o600)).unwrap();
    let open = dir.path().join("open");
    std::fs::write(
        &open,
        "6f1c0d5be2a94e7f8a3b21c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4",
    )
    .unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).unwrap();
    for (file, says) in [
        (&short, "use at least 32"),
        (&open, "can be read by others"),
    ] {
        let output = Command::new(support::bin())
            .args(["listen", "--bind", "127.0.0.1:0", "--out"])
            .arg(dir.path().join("other.ndjson"))
            .args(["--api", "127.0.0.1:0", "--api-token-file"])
            .arg(file)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
    }
}
