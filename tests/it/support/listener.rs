//! The real binary: `hookscope listen` on a port-0 listener, `export`, reading a journal.

#![allow(unused_imports)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::*;

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
                // Kept before it is told: whoever hears of the line finds it said.
                {
                    let mut all = sink.lock().unwrap_or_else(PoisonError::into_inner);
                    all.push_str(&line);
                    all.push('\n');
                }
                if let Some(url) = line
                    .strip_prefix("listening on http://")
                    .or_else(|| line.strip_prefix("listening on https://"))
                {
                    let _ = tx.send(url.trim_end_matches('/').to_owned());
                }
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

/// Every line of a journal as JSON, read as deep as hookscope reads it.
pub fn read_journal(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| hookscope::ndjson::from_slice(l.as_bytes()).expect("journal line is JSON"))
        .collect()
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
