//! The journal as a file: one writer per journal, a write that fills the disk cut
//! back to the last whole line, and ids that go on after a large last line.

use std::process::Command;
use std::time::Duration;

use crate::support;

use support::{Listener, bin, read_journal};

#[test]
fn a_second_writer_on_a_journal_is_refused_with_a_clear_line() {
    let first = Listener::start(&[]);
    assert_eq!(first.post("/one", &[], b"x").status, 200);
    for args in [
        vec!["listen", "--bind", "127.0.0.1:0", "--out"],
        vec!["replay", "--to", "http://127.0.0.1:9/", "--out"],
    ] {
        let mut command = Command::new(bin());
        command.args(&args).arg(&first.journal);
        if args[0] == "replay" {
            // Replay reads the first listener's journal and would append to it.
            command.arg(&first.journal);
        }
        let mut child = command
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let status = support::wait_timeout(&mut child, Duration::from_secs(20));
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        assert!(!status.success(), "{args:?} ran beside the first writer");
        assert!(
            stderr.contains("another hookscope is writing it"),
            "{args:?}: {stderr}"
        );
    }
    // The first writer goes on, its ids its own.
    assert_eq!(first.post("/two", &[], b"x").status, 200);
    let ids: Vec<u64> = first
        .records()
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2]);
}

/// `hookscope listen` whose files may grow to `kib` KiB (`ulimit -f`): writes past
/// that fail as on a full disk (`SIGXFSZ` ignored, so `write` returns an error).
#[cfg(unix)]
fn listen_on_a_small_disk(kib: u32) -> Listener {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.ndjson");
    let mut command = Command::new("bash");
    command
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {kib}; exec \"$0\" listen --bind 127.0.0.1:0 --out \"$1\""
        ))
        .arg(bin())
        .arg(&journal);
    Listener::spawn(command, dir, journal)
}

#[cfg(unix)]
#[test]
fn a_write_that_fills_the_disk_is_cut_back_to_the_last_whole_line() {
    let listener = listen_on_a_small_disk(8);
    let body = "b".repeat(700);
    let mut acknowledged = 0;
    let mut failed = 0;
    for n in 0..40 {
        let reply = listener.post(&format!("/fill/{n}"), &[], body.as_bytes());
        if reply.status == 200 {
            acknowledged += 1;
        } else {
            failed += 1;
        }
    }
    assert!(failed > 0, "the disk never filled");
    let text = std::fs::read(&listener.journal).unwrap();
    assert!(
        text.ends_with(b"\n"),
        "a torn line was left at the end of the journal"
    );
    // Every line is a whole record, and every acknowledged request is one of them.
    let records = read_journal(&listener.journal);
    assert_eq!(records.len(), acknowledged);
    let ids: Vec<u64> = records.iter().map(|r| r["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, (1..=acknowledged as u64).collect::<Vec<_>>());
}

#[test]
fn ids_go_on_after_a_restart_whatever_the_size_of_the_last_line() {
    // The journal's folder outlives both listeners.
    let kept = tempfile::tempdir().unwrap();
    let journal = kept.path().join("journal.ndjson");
    let start = || {
        let scratch = tempfile::tempdir().unwrap();
        Listener::start_with(&["--max-body", "4194304"], scratch, journal.clone())
    };
    let first = start();
    assert_eq!(first.post("/small", &[], b"x").status, 200);
    // A hook whose line is over a megabyte, last in the journal.
    let big = "x".repeat(2 << 20);
    assert_eq!(first.post("/big", &[], big.as_bytes()).status, 200);
    let (_, records, _) = first.terminate();
    assert_eq!(records.len(), 2);
    let second = start();
    assert_eq!(second.post("/after", &[], b"x").status, 200);
    let ids: Vec<u64> = second
        .records()
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2, 3], "ids never repeat in a journal");
}

/// Claims nested `levels` deep (an object, then arrays), signed right.
fn deep_token(levels: usize) -> String {
    let text = format!(
        r#"{{"iss":"Truora","deep":{}{}}}"#,
        "[".repeat(levels - 1),
        "]".repeat(levels - 1)
    );
    let claims: serde_json::Value = serde_json::from_str(&text).unwrap();
    support::sign(
        &claims,
        support::SECRET.as_bytes(),
        jsonwebtoken::Algorithm::HS256,
    )
}

#[test]
fn what_is_acknowledged_reads_back_in_every_reader_however_deep_its_claims() {
    let listener = Listener::start(&["--secret", support::SECRET]);
    // As deep as the listener takes claims (serde_json's 128 levels); the record
    // holds them two levels down, a HAR entry four.
    let token = deep_token(127);
    let reply = listener.post(
        "/deep",
        &[("Content-Type", "application/jwt")],
        token.as_bytes(),
    );
    assert_eq!(reply.status, 200);
    assert_eq!(listener.post("/plain", &[], b"x").status, 200);
    let dir = tempfile::tempdir().unwrap();
    for ext in ["ndjson", "json", "har"] {
        let out = dir.path().join(format!("copy.{ext}"));
        let export = support::export(&listener.journal, &out);
        assert!(export.status.success(), "{ext}: {export:?}");
        let said = String::from_utf8_lossy(&export.stderr);
        assert!(said.contains("exported 2 records"), "{ext}: {said}");
        // And the copy reads back whole: exported again, with no warning.
        let again = support::export(&out, &dir.path().join(format!("again.{ext}.ndjson")));
        assert!(again.status.success(), "{ext}: {again:?}");
        let said = String::from_utf8_lossy(&again.stderr);
        assert!(
            said.contains("exported 2 records"),
            "{ext} read back: {said}"
        );
        let lines = read_journal(&dir.path().join(format!("again.{ext}.ndjson")));
        assert_eq!(lines.len(), 2, "{ext}");
        assert_eq!(lines[0]["verification"]["signature"], "valid", "{ext}");
    }
    for command in ["timeline", "shapes"] {
        let output = Command::new(bin())
            .arg(command)
            .arg(&listener.journal)
            .output()
            .unwrap();
        assert!(output.status.success(), "{command}: {output:?}");
        let said = String::from_utf8_lossy(&output.stderr);
        assert!(!said.contains("warning"), "{command}: {said}");
    }
}

#[test]
fn a_file_that_gives_no_record_is_an_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.ndjson");
    std::fs::write(&bad, "not a record\n").unwrap();
    let out = dir.path().join("out.har");
    let export = support::export(&bad, &out);
    assert_eq!(export.status.code(), Some(1), "{export:?}");
    assert!(!out.exists(), "an export of nothing was written");
    assert!(String::from_utf8_lossy(&export.stderr).contains("no record could be read"));
}

/// The `fdatasync` calls `hookscope listen ARGS` makes while it takes 5 hooks, seen
/// by strace; `None` (skipped) when strace is missing outside CI.
#[cfg(target_os = "linux")]
fn fdatasyncs_of_listen(args: &[&str]) -> Option<usize> {
    let strace = std::process::Command::new("strace").arg("-V").output();
    if strace.is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "strace is missing: .ci/run installs it"
        );
        eprintln!("skipped: strace is not installed");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.ndjson");
    let trace = dir.path().join("trace.txt");
    let mut command = Command::new("strace");
    command
        .args(["-f", "-e", "trace=fdatasync,fsync", "-o"])
        .arg(&trace)
        .arg(bin())
        .args(["listen", "--bind", "127.0.0.1:0", "--out"])
        .arg(&journal)
        .args(args);
    let listener = Listener::spawn(command, dir, journal);
    for n in 0..5 {
        assert_eq!(listener.post(&format!("/sync/{n}"), &[], b"x").status, 200);
    }
    let text = std::fs::read_to_string(&trace).unwrap();
    assert_eq!(listener.records().len(), 5);
    Some(text.lines().filter(|l| l.contains("fdatasync(")).count())
}

#[cfg(target_os = "linux")]
#[test]
fn with_fsync_each_group_is_synced_before_its_reply() {
    let Some(synced) = fdatasyncs_of_listen(&["--fsync"]) else {
        return;
    };
    // Five hooks one after the other: five groups, each synced before its 200.
    assert!(synced >= 5, "{synced} fdatasync calls");
    assert_eq!(
        fdatasyncs_of_listen(&[]),
        Some(0),
        "no sync without --fsync"
    );
}

#[test]
fn a_journal_deleted_or_replaced_while_listening_is_opened_again_and_said() {
    let listener = Listener::start(&[]);
    assert_eq!(listener.post("/before", &[], b"x").status, 200);
    // Deleted: the next record goes to a new file there, its id going on.
    std::fs::remove_file(&listener.journal).unwrap();
    assert_eq!(listener.post("/after-delete", &[], b"x").status, 200);
    let records = read_journal(&listener.journal);
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["path"], "/after-delete");
    assert_eq!(records[0]["id"], 2);
    // Replaced by an older file: appended to, ids going on.
    let moved = listener.journal.with_extension("old");
    std::fs::rename(&listener.journal, &moved).unwrap();
    std::fs::write(&listener.journal, "{\"id\":1}\n").unwrap();
    assert_eq!(listener.post("/after-replace", &[], b"x").status, 200);
    let ids: Vec<u64> = read_journal(&listener.journal)
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 3]);
    // Replaced by a file whose ids go past ours: refused, not numbered twice.
    let other = listener.journal.with_extension("other");
    std::fs::write(&other, "{\"id\":99}\n").unwrap();
    std::fs::rename(&other, &listener.journal).unwrap();
    assert_eq!(listener.post("/clash", &[], b"x").status, 503);
    assert_eq!(read_journal(&listener.journal).len(), 1);
    let (_, _, stderr) = listener.terminate();
    assert!(
        stderr.contains("was deleted while hookscope wrote it"),
        "{stderr}"
    );
    assert!(
        stderr.contains("was replaced while hookscope wrote it"),
        "{stderr}"
    );
    assert!(stderr.contains("ids go up to 99"), "{stderr}");
}
