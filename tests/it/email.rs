//! The SMTP sink (`--smtp`): a real SMTP conversation on a port-0 socket, each
//! message journaled before its 250, the limits, and what a bad client gets.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support;
use crate::support::dns::{dns, rsa_key};

use support::Listener;

/// `listen` with an SMTP sink on a free port, and that port.
fn listen_with_smtp(args: &[&str]) -> (Listener, SocketAddr) {
    let mut all = vec!["--smtp", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let listener = Listener::start(&all);
    let started = Instant::now();
    loop {
        let said = listener.stderr.lock().unwrap().clone();
        if let Some(addr) = said.lines().find_map(|l| l.strip_prefix("smtp on smtp://")) {
            return (listener, addr.trim().parse().unwrap());
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no smtp line: {said}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A client speaking SMTP line by line.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut client = Client {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        };
        assert!(client.reply().starts_with("220 "));
        client
    }

    /// One reply, its continuation lines joined.
    fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).unwrap();
            all.push_str(&line);
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                return all;
            }
        }
    }

    fn send(&mut self, text: &str) {
        self.writer.write_all(text.as_bytes()).unwrap();
    }

    fn say(&mut self, line: &str) -> String {
        self.send(&format!("{line}\r\n"));
        self.reply()
    }
}

const MESSAGE: &str = "From: Truora <notifications@truora.com>\r\n\
To: dev@example.com\r\n\
Subject: Check CHK0123456789abcdef0123456789abcd finished\r\n\
Message-ID: <m1@truora.com>\r\n\
\r\n\
Hello.\r\n\
..a line that starts with a dot\r\n";

/// Runs a Python script (a real client library's side of a test); it must succeed.
fn run_python(script: &str) {
    let ran = std::process::Command::new("python3")
        .args(["-c", script])
        .output()
        .unwrap();
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
}

fn records(listener: &Listener) -> Vec<Value> {
    listener.records()
}

#[test]
fn a_mail_is_journaled_before_its_250_with_its_envelope_and_its_fields() {
    let (listener, addr) = listen_with_smtp(&[]);
    let mut client = Client::connect(addr);
    let ehlo = client.say("EHLO sender.example");
    for offer in ["SIZE 10485760", "8BITMIME", "SMTPUTF8", "PIPELINING"] {
        assert!(ehlo.contains(offer), "{ehlo}");
    }
    // Pipelined: the envelope and DATA in one write, the replies in order.
    client.send("MAIL FROM:<bounce@truora.com> SIZE=300\r\nRCPT TO:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
    for expected in ["250 ", "250 ", "250 ", "354 "] {
        let reply = client.reply();
        assert!(reply.starts_with(expected), "{reply}");
    }
    client.send(MESSAGE);
    let done = client.say(".");
    assert!(
        done.starts_with("250 ") && done.contains("record 1"),
        "{done}"
    );
    // On disk before the 250 was read.
    let record = records(&listener).pop().unwrap();
    assert_eq!(record["transport"], "smtp");
    assert!(record["method"].is_null() && record["path"].is_null());
    let email = &record["email"];
    assert_eq!(email["mail_from"], "bounce@truora.com");
    assert_eq!(
        email["rcpt_to"],
        serde_json::json!(["a@example.com", "b@example.com"])
    );
    assert_eq!(email["helo"], "sender.example");
    assert_eq!(email["from"], "Truora <notifications@truora.com>");
    assert_eq!(email["message_id"], "m1@truora.com");
    // A text-only mail has no HTML (none is made up from its text).
    assert!(email["html"].is_null(), "{email}");
    // Dot-stuffing undone: the message as the sender wrote it.
    let body = record["body"].as_str().unwrap();
    assert!(
        body.contains("\r\n.a line that starts with a dot\r\n"),
        "{body}"
    );
    assert_eq!(record["verification"]["signature"], "unsigned");
    assert_eq!(record["verification"]["scheme"], Value::Null);
    assert_eq!(record["verification"]["message_id"], "m1@truora.com");
    assert_eq!(record["events"][0]["product"], "check");
    assert_eq!(
        record["events"][0]["subject"],
        "CHK0123456789abcdef0123456789abcd"
    );
    assert_eq!(record["events"][0]["action"], "finished");
    assert!(client.say("QUIT").starts_with("221 "));
}

#[test]
fn bad_input_gets_a_5xx_and_loses_nothing_accepted() {
    let (listener, addr) = listen_with_smtp(&["--max-mail", "2048"]);
    let mut client = Client::connect(addr);
    assert!(
        client.say("MAIL FROM:<a@b.c>").starts_with("503 "),
        "EHLO first"
    );
    assert!(client.say("EHLO x").starts_with("250"));
    assert!(client.say("RCPT TO:<a@b.c>").starts_with("503 "));
    assert!(client.say("DATA").starts_with("503 "));
    assert!(client.say("FROB").starts_with("502 "));
    assert!(
        client.say(&"X".repeat(1200)).starts_with("500 "),
        "line too long"
    );
    assert!(
        client
            .say("MAIL FROM:<a@b.c> SIZE=999999")
            .starts_with("552 ")
    );
    // A message past --max-mail: 552, recorded cut.
    assert!(client.say("MAIL FROM:<a@b.c>").starts_with("250 "));
    assert!(client.say("RCPT TO:<x@y.z>").starts_with("250 "));
    assert!(client.say("DATA").starts_with("354 "));
    client.send(&format!("Subject: big\r\n\r\n{}\r\n", "y".repeat(5000)));
    let big = client.say(".");
    assert!(big.starts_with("552 "), "{big}");
    // The session goes on, and a good message is kept.
    assert!(client.say("RSET").starts_with("250 "));
    assert!(client.say("MAIL FROM:<a@b.c>").starts_with("250 "));
    assert!(client.say("RCPT TO:<x@y.z>").starts_with("250 "));
    assert!(client.say("DATA").starts_with("354 "));
    client.send(MESSAGE);
    assert!(client.say(".").starts_with("250 "));
    let records = records(&listener);
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["body_truncated"], true);
    assert_eq!(records[0]["response"]["status"], 552);
    assert!(records[0]["body"].as_str().unwrap().len() <= 2048);
    assert_eq!(records[1]["body_truncated"], false);
}

#[test]
fn a_real_client_library_sends_a_mail_with_an_attachment() {
    let Ok(python) = std::process::Command::new("python3")
        .arg("--version")
        .output()
    else {
        eprintln!("skipped: no python3 for its smtplib");
        return;
    };
    assert!(python.status.success());
    let (listener, addr) = listen_with_smtp(&[]);
    let script = format!(
        r#"
import smtplib
from email.message import EmailMessage
m = EmailMessage()
m["From"] = "Truora <notifications@truora.com>"
m["To"] = "dev@example.com"
m["Subject"] = "Identity IDP0123456789abcdef01 succeeded"
m.set_content("The process IDP0123456789abcdef01 succeeded.")
m.add_alternative("<p>The process <b>succeeded</b>.</p>", subtype="html")
m.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="report.pdf")
with smtplib.SMTP("{}", {}) as s:
    s.send_message(m)
"#,
        addr.ip(),
        addr.port()
    );
    run_python(&script);
    let record = records(&listener).pop().unwrap();
    let email = &record["email"];
    assert_eq!(email["subject"], "Identity IDP0123456789abcdef01 succeeded");
    assert!(email["text"].as_str().unwrap().contains("succeeded"));
    assert!(email["html"].as_str().unwrap().contains("<b>succeeded</b>"));
    assert_eq!(email["attachments"][0]["filename"], "report.pdf");
    assert_eq!(email["attachments"][0]["content_type"], "application/pdf");
    assert_eq!(email["attachments"][0]["size"], 8);
    assert_eq!(record["events"][0]["product"], "digital_identity");
}

#[test]
fn dkim_is_the_mails_signature_checked_against_keys_in_a_real_dns_server() {
    if !support::have("openssl", &["version"]) || !support::have("python3", &["-c", "import dkim"])
    {
        eprintln!("skipped: needs openssl and Python's dkimpy (pip install dkimpy)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (key, p) = rsa_key(dir.path(), 2048);
    let record = format!("v=DKIM1; k=rsa; p={p}");
    let Some(dns) = dns(&[
        ("sel._domainkey.truora.test", record.clone()),
        ("sel._domainkey.other.test", record),
    ]) else {
        eprintln!("skipped: no dnsmasq (apt-get install dnsmasq-base)");
        return;
    };
    let dns_addr = dns.addr.to_string();
    let (listener, addr) = listen_with_smtp(&["--dns", &dns_addr]);
    // Each mail signed by dkimpy, the reference DKIM library in Python, then sent
    // as it is or spoiled on its way.
    let script = format!(
        r#"
import dkim, smtplib, sys
key = open({key:?}, "rb").read()
def mail(subject, sign_as=None, selector=b"sel", tamper=False):
    m = ("From: Truora <notifications@truora.test>\r\nTo: dev@example.com\r\n"
         "Subject: " + subject + "\r\n\r\nCheck CHK0123456789abcdef0123 finished.\r\n").encode()
    if sign_as:
        sig = dkim.sign(m, selector, sign_as, key, include_headers=[b"from", b"to", b"subject"])
        m = sig + m
    if tamper:
        m = m + b"A footer added on the way.\r\n"
    with smtplib.SMTP("{ip}", {port}) as s:
        s.sendmail("bounce@truora.test", ["dev@example.com"], m)
mail("genuine", b"truora.test")
mail("tampered", b"truora.test", tamper=True)
mail("another domain", b"other.test")
mail("no key", b"truora.test", selector=b"missing")
mail("unsigned")
"#,
        key = key.display().to_string(),
        ip = addr.ip(),
        port = addr.port()
    );
    run_python(&script);
    let verdicts: Vec<(String, String, String)> = records(&listener)
        .iter()
        .map(|r| {
            (
                r["email"]["subject"].as_str().unwrap().to_owned(),
                r["verification"]["signature"].as_str().unwrap().to_owned(),
                format!(
                    "{} {}",
                    r["verification"]["detail"], r["verification"]["hints"]
                ),
            )
        })
        .collect();
    let expect = [
        ("genuine", "valid", "verified"),
        ("tampered", "invalid", "body changed in transit"),
        ("another domain", "invalid", "for other.test"),
        ("no key", "no_secret", "could not be read from DNS"),
        ("unsigned", "unsigned", "no DKIM-Signature"),
    ];
    assert_eq!(verdicts.len(), expect.len(), "{verdicts:?}");
    for ((subject, signature, words), (want_subject, want, want_words)) in
        verdicts.iter().zip(expect)
    {
        assert_eq!(subject, want_subject);
        assert_eq!(signature, want, "{subject}: {words}");
        assert!(words.contains(want_words), "{subject}: {words}");
    }
    drop(dns);
}

#[test]
fn send_email_is_a_local_truora_for_mail_dkim_signed_and_read_back_as_a_process() {
    if !std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        eprintln!("skipped: needs openssl");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (key, p) = rsa_key(dir.path(), 2048);
    let Some(dns) = dns(&[(
        "hs._domainkey.truora.test",
        format!("v=DKIM1; k=rsa; p={p}"),
    )]) else {
        eprintln!("skipped: no dnsmasq (apt-get install dnsmasq-base)");
        return;
    };
    let dns_addr = dns.addr.to_string();
    let (listener, addr) = listen_with_smtp(&["--dns", &dns_addr]);
    let output = std::process::Command::new(support::bin())
        .args(["send", "--email", "--to", &format!("smtp://{addr}")])
        .args(["--from", "Truora <notifications@truora.test>"])
        .args(["--scenario", "lifecycle", "--product", "check"])
        .arg("--dkim-key")
        .arg(&key)
        .args(["--dkim-domain", "truora.test", "--dkim-selector", "hs"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("3 of 3 mails accepted"), "{stdout}");
    let records = records(&listener);
    assert_eq!(records.len(), 3);
    let mut actions = Vec::new();
    for record in &records {
        assert_eq!(
            record["verification"]["signature"], "valid",
            "{}",
            record["verification"]
        );
        assert_eq!(record["verification"]["scheme"], "dkim");
        assert_eq!(record["verification"]["alg"], "rsa-sha256");
        let email = &record["email"];
        assert!(email["text"].as_str().unwrap().contains("Process: CHK"));
        assert!(email["html"].as_str().unwrap().contains("<b>"));
        assert_eq!(record["events"][0]["product"], "check");
        actions.push(record["events"][0]["action"].as_str().unwrap().to_owned());
    }
    assert_eq!(actions, ["created", "started", "finished"]);
    // The three are one process in `timeline`.
    let timeline = std::process::Command::new(support::bin())
        .args(["timeline", "--json"])
        .arg(&listener.journal)
        .output()
        .unwrap();
    let processes: Value = serde_json::from_slice(&timeline.stdout).unwrap();
    let processes = processes.as_array().cloned().unwrap_or_else(|| {
        processes["processes"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    });
    assert_eq!(processes.len(), 1, "{processes:?}");
    // Each step marked as mail.
    let steps = processes[0]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 3);
    assert!(steps.iter().all(|s| s["by_mail"] == true), "{steps:?}");
    drop(dns);
}

#[test]
fn send_email_into_a_real_aiosmtpd_server_passes_dkimpy() {
    if !support::have("openssl", &["version"])
        || !support::have("python3", &["-c", "import dkim, aiosmtpd"])
    {
        eprintln!("skipped: needs openssl, dkimpy and aiosmtpd (pip install dkimpy aiosmtpd)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (key, p) = rsa_key(dir.path(), 2048);
    let received = dir.path().join("received");
    // aiosmtpd, the other end: each mail it is given checked with dkimpy (the key
    // given to dkimpy's DNS lookup as the TXT record it would read) and written out.
    let server = format!(
        r#"
import asyncio, sys, dkim
RECORD = b"v=DKIM1; k=rsa; p={p}"
def dns(name, timeout=5):
    return RECORD if name == b"hs._domainkey.truora.test." else None
class Check:
    n = 0
    async def handle_DATA(self, server, session, envelope):
        ok = dkim.verify(envelope.original_content, dnsfunc=dns)
        Check.n += 1
        open("{out}-%d" % Check.n, "w").write("%s %s\n" % (ok, envelope.mail_from))
        return "250 OK checked"
async def main():
    from aiosmtpd.smtp import SMTP
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(Check()), "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()
asyncio.run(main())
"#,
        out = received.display()
    );
    let mut aiosmtpd = std::process::Command::new("python3")
        .args(["-c", &server])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut port = String::new();
    BufReader::new(aiosmtpd.stdout.take().unwrap())
        .read_line(&mut port)
        .unwrap();
    let output = std::process::Command::new(support::bin())
        .args([
            "send",
            "--email",
            "--to",
            &format!("smtp://127.0.0.1:{}", port.trim()),
        ])
        .args(["--from", "Truora <notifications@truora.test>"])
        .args(["--scenario", "lifecycle", "--product", "digital_identity"])
        .arg("--dkim-key")
        .arg(&key)
        .args(["--dkim-domain", "truora.test", "--dkim-selector", "hs"])
        .output()
        .unwrap();
    let _ = aiosmtpd.kill();
    let _ = aiosmtpd.wait();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("2 of 2 mails accepted"), "{stdout}");
    for n in 1..=2 {
        let verdict = std::fs::read_to_string(format!("{}-{n}", received.display())).unwrap();
        assert!(
            verdict.starts_with("True "),
            "mail {n}: dkimpy says {verdict}"
        );
    }
}
