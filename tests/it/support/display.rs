//! An X display for the real window: a private Xvfb, or the session's.

#![allow(unused_imports)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::*;

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
