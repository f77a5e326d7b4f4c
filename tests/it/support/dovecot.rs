//! A real Dovecot for the IMAP tests: IMAP over TLS only (a CA the test makes),
//! one user, a Maildir the test fills through IMAP itself (Python's imaplib, as a
//! mail server delivering would).

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::tls::{Pki, pki};

pub const USER: &str = "dev@example.com";
pub const PASSWORD: &str = "correct horse battery staple";

/// A real Dovecot on a free port (`None` where it is not installed), IMAP over TLS only, one user; killed on drop.
pub struct Dovecot {
    child: Child,
    pub port: u16,
    pub pki: Pki,
    pub dir: tempfile::TempDir,
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

pub fn start_dovecot() -> Option<Dovecot> {
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
    pub fn imap(&self, body: &str) -> String {
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
    pub fn deliver(&self, mailbox: &str, id: &str, process: &str) {
        let message = format!(
            "From: Truora <notifications@truora.com>\r\nTo: {USER}\r\nSubject: Check {process} finished\r\nMessage-ID: <{id}@truora.com>\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\n\r\nThe check {process} finished.\r\n"
        );
        let out = self.imap(&format!(
            "print(m.append({mailbox:?}, None, None, {message:?}.encode()))"
        ));
        assert!(out.contains("'OK'"), "{out}");
    }

    /// The flags of every message in `mailbox`, as the server says them.
    pub fn flags(&self, mailbox: &str) -> String {
        self.imap(&format!(
            "m.select({mailbox:?}, readonly=True)\nprint(m.fetch('1:*', '(FLAGS)'))"
        ))
    }

    /// `--imap URL --imap-password-file F --imap-ca CA` for `mailbox`.
    pub fn args(&self, mailbox: &str, password: &str) -> Vec<String> {
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
