//! Following a real mailbox (`--imap`): a real Dovecot, IMAP over TLS with a CA the
//! test makes, a Maildir the test fills through IMAP itself (Python's imaplib, as a
//! mail server delivering would); hookscope follows it read-only, journals each
//! message once across restarts and a changed UIDVALIDITY, and says a wrong password.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Listener, read_journal, tls::Pki, tls::pki};

const USER: &str = "dev@example.com";
const PASSWORD: &str = "correct horse battery staple";

/// A real Dovecot on a free port, IMAP over TLS only, one user; killed on drop.
struct Dovecot {
    child: Child,
    port: u16,
    pki: Pki,
    dir: tempfile::TempDir,
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The users Dovecot's processes run as: its own where the test is root (its login
/// process refuses root), else the test's user.
fn dovecot_users() -> (String, String) {
    let me = Command::new("id").arg("-un").output().unwrap();
    let me = String::from_utf8_lossy(&me.stdout).trim().to_owned();
    if me == "root" {
        ("dovecot".to_owned(), "dovenull".to_owned())
    } else {
        (me.clone(), me)
    }
}

fn start_dovecot() -> Option<Dovecot> {
    let binary = ["/usr/sbin/dovecot", "/usr/bin/dovecot"]
        .into_iter()
        .find(|p| Path::new(p).exists())?;
    let pki = pki();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (internal, login) = dovecot_users();
    for sub in ["run", "state", "mail"] {
        std::fs::create_dir(root.join(sub)).unwrap();
    }
    if internal == "dovecot" {
        // The mail processes run as dovecot: they reach the mail through this folder.
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
        let status = Command::new("chown")
            .arg("dovecot:dovecot")
            .arg(root.join("mail"))
            .status()
            .unwrap();
        assert!(status.success());
    }
    std::fs::write(root.join("passwd"), format!("{USER}:{{PLAIN}}{PASSWORD}\n")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let r = root.display();
    let config = format!(
        r#"base_dir = {r}/run
state_dir = {r}/state
log_path = {r}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
default_internal_user = {internal}
default_internal_group = {internal}
default_login_user = {login}
first_valid_uid = 1
auth_mechanisms = plain login
service imap-login {{
  chroot =
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {r}/passwd
}}
userdb {{
  driver = static
  args = uid={internal} gid={internal} home={r}/mail/%n
}}
mail_location = maildir:~/Maildir
"#,
        cert = pki.cert.display(),
        key = pki.key.display(),
    );
    std::fs::write(root.join("dovecot.conf"), config).unwrap();
    let child = Command::new(binary)
        .arg("-F")
        .arg("-c")
        .arg(root.join("dovecot.conf"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let dovecot = Dovecot {
        child,
        port,
        pki,
        dir,
    };
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "Dovecot did not start: {}",
            std::fs::read_to_string(dovecot.dir.path().join("dovecot.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(dovecot)
}

impl Dovecot {
    /// Runs `body` in Python with `m`, an imaplib connection logged in as the user.
    fn imap(&self, body: &str) -> String {
        let script = format!(
            "import imaplib, ssl\nctx = ssl.create_default_context(cafile={ca:?})\nm = imaplib.IMAP4_SSL('localhost', {port}, ssl_context=ctx)\nm.login({USER:?}, {PASSWORD:?})\n{body}\nm.logout()\n",
            ca = self.pki.ca.display().to_string(),
            port = self.port,
        );
        let ran = Command::new("python3")
            .args(["-c", &script])
            .output()
            .unwrap();
        assert!(
            ran.status.success(),
            "{}",
            String::from_utf8_lossy(&ran.stderr)
        );
        String::from_utf8_lossy(&ran.stdout).into_owned()
    }

    /// Delivers a Truora-like mail with `id` as its Message-ID to `mailbox`.
    fn deliver(&self, mailbox: &str, id: &str, process: &str) {
        let message = format!(
            "From: Truora <notifications@truora.com>\r\nTo: {USER}\r\nSubject: Check {process} finished\r\nMessage-ID: <{id}@truora.com>\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\n\r\nThe check {process} finished.\r\n"
        );
        let out = self.imap(&format!(
            "print(m.append({mailbox:?}, None, None, {message:?}.encode()))"
        ));
        assert!(out.contains("'OK'"), "{out}");
    }

    /// The flags of every message in `mailbox`, as the server says them.
    fn flags(&self, mailbox: &str) -> String {
        self.imap(&format!(
            "m.select({mailbox:?}, readonly=True)\nprint(m.fetch('1:*', '(FLAGS)'))"
        ))
    }

    /// `--imap URL --imap-password-file F --imap-ca CA` for `mailbox`.
    fn args(&self, mailbox: &str, password: &str) -> Vec<String> {
        let file = self.dir.path().join(format!("password-{}", password.len()));
        std::fs::write(&file, format!("{password}\n")).unwrap();
        vec![
            "--imap".to_owned(),
            format!(
                "imaps://{}@localhost:{}/{mailbox}",
                USER.replace('@', "%40"),
                self.port
            ),
            "--imap-password-file".to_owned(),
            file.display().to_string(),
            "--imap-ca".to_owned(),
            self.pki.ca.display().to_string(),
        ]
    }
}

/// `listen` following `dovecot`'s `mailbox`, journaling to `journal`.
fn follow(dovecot: &Dovecot, mailbox: &str, password: &str, journal: &Path) -> Listener {
    let args = dovecot.args(mailbox, password);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let dir = tempfile::tempdir().unwrap();
    Listener::start_with(&args, dir, journal.to_owned())
}

/// Waits until `check` holds of the listener's stderr (20 s at most).
fn said(listener: &Listener, check: impl Fn(&str) -> bool) -> String {
    let started = Instant::now();
    loop {
        let text = listener.stderr.lock().unwrap().clone();
        if check(&text) {
            return text;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{text}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until the journal holds `n` records (20 s at most); they.
fn records(journal: &Path, n: usize) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let records = read_journal(journal);
        if records.len() >= n {
            return records;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{} records of {n}",
            records.len()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn journal_in(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("events.ndjson")
}

#[test]
fn a_real_mailbox_is_followed_read_only_and_each_message_journaled_once_across_restarts() {
    let Some(dovecot) = start_dovecot() else {
        eprintln!("skipped: no Dovecot (apt-get install dovecot-imapd)");
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let journal = journal_in(&home);
    dovecot.deliver("INBOX", "m1", "CHK00000000000000000000000000000001");
    let listener = follow(&dovecot, "INBOX", PASSWORD, &journal);
    said(&listener, |s| {
        s.contains("imap following") && s.contains("(IDLE)")
    });
    // Delivered while it follows: IDLE brings it.
    dovecot.deliver("INBOX", "m2", "CHK00000000000000000000000000000002");
    let got = records(&journal, 2);
    assert_eq!(got.len(), 2);
    for (record, uid) in got.iter().zip([1, 2]) {
        assert_eq!(record["transport"], "imap");
        assert!(record["method"].is_null());
        assert_eq!(record["email"]["uid"], uid);
        assert!(record["email"]["uid_validity"].as_u64().unwrap() > 0);
        assert!(
            record["email"]["mailbox"]
                .as_str()
                .unwrap()
                .ends_with("/INBOX")
        );
        assert!(
            record["remote_addr"]
                .as_str()
                .unwrap()
                .starts_with("127.0.0.1:")
        );
        assert_eq!(record["events"][0]["product"], "check");
    }
    // Read-only: nothing marked \Seen (or anything else) by following.
    let flags = dovecot.flags("INBOX");
    assert!(!flags.contains("Seen"), "{flags}");
    let (status, _, _) = listener.terminate();
    assert!(status.success());

    // Delivered while nobody follows; a restart journals it and nothing twice.
    dovecot.deliver("INBOX", "m3", "CHK00000000000000000000000000000003");
    let listener = follow(&dovecot, "INBOX", PASSWORD, &journal);
    let text = said(&listener, |s| s.contains("imap following"));
    assert!(text.contains("1 messages journaled"), "{text}");
    let got = read_journal(&journal);
    let uids: Vec<u64> = got
        .iter()
        .map(|r| r["email"]["uid"].as_u64().unwrap())
        .collect();
    assert_eq!(uids, [1, 2, 3]);
    assert!(!dovecot.flags("INBOX").contains("Seen"));
}

#[test]
fn a_changed_uidvalidity_reads_the_mailbox_again_from_the_last_date_without_duplicates() {
    let Some(dovecot) = start_dovecot() else {
        eprintln!("skipped: no Dovecot (apt-get install dovecot-imapd)");
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let journal = journal_in(&home);
    dovecot.imap("m.create('Hooks')");
    dovecot.deliver("Hooks", "a1", "CHK00000000000000000000000000000001");
    dovecot.deliver("Hooks", "a2", "CHK00000000000000000000000000000002");
    let listener = follow(&dovecot, "Hooks", PASSWORD, &journal);
    said(&listener, |s| s.contains("imap following"));
    let before = records(&journal, 2);
    listener.terminate();

    // The mailbox made again: a new UIDVALIDITY, the same two messages, and one more.
    dovecot.imap("m.delete('Hooks')\nm.create('Hooks')");
    dovecot.deliver("Hooks", "a1", "CHK00000000000000000000000000000001");
    dovecot.deliver("Hooks", "a2", "CHK00000000000000000000000000000002");
    dovecot.deliver("Hooks", "a3", "CHK00000000000000000000000000000003");
    let listener = follow(&dovecot, "Hooks", PASSWORD, &journal);
    let text = said(&listener, |s| s.contains("imap following"));
    assert!(text.contains("UIDVALIDITY changed"), "{text}");
    let after = read_journal(&journal);
    let ids: Vec<&str> = after
        .iter()
        .map(|r| r["email"]["message_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a1@truora.com", "a2@truora.com", "a3@truora.com"]);
    assert_ne!(
        after[2]["email"]["uid_validity"],
        before[0]["email"]["uid_validity"]
    );
}

#[test]
fn a_wrong_password_is_said_plainly_and_tried_again() {
    let Some(dovecot) = start_dovecot() else {
        eprintln!("skipped: no Dovecot (apt-get install dovecot-imapd)");
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let listener = follow(&dovecot, "INBOX", "not the password", &journal_in(&home));
    let text = said(&listener, |s| s.matches("refused the login").count() >= 2);
    assert!(text.contains("check the user and the password"), "{text}");
    assert!(text.contains("trying again in 1 s"), "{text}");
    assert!(text.contains("trying again in 2 s"), "{text}");
    assert!(
        !text.contains("not the password"),
        "the password was said: {text}"
    );
}
