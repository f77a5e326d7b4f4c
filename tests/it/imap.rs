//! Following a real mailbox (`--imap`): a real Dovecot, IMAP over TLS with a CA the
//! test makes, a Maildir the test fills through IMAP itself (Python's imaplib, as a
//! mail server delivering would); hookscope follows it read-only, journals each
//! message once across restarts and a changed UIDVALIDITY, and says a wrong password.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::dovecot::{Dovecot, PASSWORD, start_dovecot};
use crate::support::{Listener, read_journal};

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
