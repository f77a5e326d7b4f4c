//! A real DNS server for the DKIM tests (dnsmasq, serving TXT records on a free
//! port), and RSA keys made with openssl.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// A real DNS server (dnsmasq) on a free port serving `records` as TXT, killed on drop.
pub struct Dns {
    child: std::process::Child,
    pub addr: SocketAddr,
}

impl Drop for Dns {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn dns(records: &[(&str, String)]) -> Option<Dns> {
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    dns_at(port, records)
}

/// [`dns`] on a given port (a server that comes back where one was).
pub fn dns_at(port: u16, records: &[(&str, String)]) -> Option<Dns> {
    let dnsmasq = ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())?;
    let mut command = std::process::Command::new(dnsmasq);
    command.args([
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        "--no-resolv",
        "--no-hosts",
        "--bind-interfaces",
        "--listen-address=127.0.0.1",
        "--pid-file=",
        &format!("--port={port}"),
    ]);
    for (name, text) in records {
        command.arg(format!("--txt-record={name},{text}"));
    }
    let child = command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    // Serving once its port is taken.
    let started = Instant::now();
    while std::net::UdpSocket::bind(addr).is_ok() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "dnsmasq did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut dns = Dns { child, addr };
    // The port may be taken by another process's socket (a port given back and
    // reused): then dnsmasq could not bind it and has exited. Said, not waited on.
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        dns.child.try_wait().unwrap().is_none(),
        "dnsmasq exited: port {port} was taken by another socket"
    );
    Some(dns)
}

/// An RSA key (PEM) and its public half as a DKIM record's `p=`, made with openssl.
pub fn rsa_key(dir: &std::path::Path, bits: u32) -> (std::path::PathBuf, String) {
    let key = dir.join(format!("key{bits}.pem"));
    let made = std::process::Command::new("openssl")
        .args(["genrsa", "-out"])
        .arg(&key)
        .arg(bits.to_string())
        .output()
        .unwrap();
    assert!(made.status.success());
    let public = std::process::Command::new("openssl")
        .args(["rsa", "-pubout", "-outform", "DER", "-in"])
        .arg(&key)
        .output()
        .unwrap();
    use base64::Engine as _;
    let p = base64::engine::general_purpose::STANDARD.encode(&public.stdout);
    (key, p)
}
