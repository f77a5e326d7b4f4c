//! A bounded journal (`--keep-size`, `--keep-days`): segment files beside it, ids
//! increasing across them, the oldest deleted, every reader reading them in order.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::support;

use support::{Listener, bin, read_journal};

/// The journal's segments in order (full ones by the id in their name, then the
/// journal), each with its path.
fn segments(journal: &Path) -> Vec<(Option<u64>, PathBuf)> {
    let name = journal.file_name().unwrap().to_str().unwrap().to_owned();
    let mut full: Vec<(Option<u64>, PathBuf)> = std::fs::read_dir(journal.parent().unwrap())
        .unwrap()
        .filter_map(|entry| {
            let entry = entry.unwrap();
            let file_name = entry.file_name().into_string().unwrap();
            let id = file_name.strip_prefix(&format!("{name}."))?.parse().ok()?;
            Some((Some(id), entry.path()))
        })
        .collect();
    full.sort();
    full.push((None, journal.to_owned()));
    full
}

fn ids(records: &[Value]) -> Vec<u64> {
    records.iter().map(|r| r["id"].as_u64().unwrap()).collect()
}

#[test]
fn a_bounded_journal_keeps_its_newest_segments_and_every_reader_reads_them_in_order() {
    let kept = tempfile::tempdir().unwrap();
    let journal = kept.path().join("journal.ndjson");
    let start = || {
        let scratch = tempfile::tempdir().unwrap();
        Listener::start_with(&["--keep-size", "64KiB"], scratch, journal.clone())
    };
    let listener = start();
    let body = "x".repeat(1000);
    for n in 0..300 {
        let path = format!("/hook/{n}");
        assert_eq!(listener.post(&path, &[], body.as_bytes()).status, 200);
    }
    let (status, _, stderr) = listener.terminate();
    assert!(status.success(), "{stderr}");

    let segments = segments(&journal);
    assert!(segments.len() > 3, "no segments: {segments:?}");
    let mut all = Vec::new();
    let mut total = 0;
    for (first, path) in &segments {
        total += std::fs::metadata(path).unwrap().len();
        let records = read_journal(path);
        if let Some(first) = first {
            // A full segment is named after its first id.
            assert_eq!(records[0]["id"].as_u64(), Some(*first), "{path:?}");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{path:?} is the owner's alone");
        }
        all.extend(ids(&records));
    }
    // The oldest went; what is left is the newest, in order, none twice; and the
    // journal stays within its bound (and one segment being filled).
    assert_eq!(all.last(), Some(&300));
    assert!(all[0] > 1, "nothing was deleted");
    assert_eq!(all, (all[0]..=300).collect::<Vec<_>>());
    assert!(total <= (64 + 8) * 1024 + 2048, "{total} bytes kept");

    // The readers read the segments in order.
    let out = kept.path().join("export.ndjson");
    let exported = support::export(&journal, &out);
    assert!(exported.status.success(), "{exported:?}");
    assert_eq!(ids(&read_journal(&out)), all);
    let timeline = Command::new(bin())
        .args(["timeline", "--json"])
        .arg(&journal)
        .output()
        .unwrap();
    assert!(timeline.status.success(), "{timeline:?}");

    // A restart goes on after the last id.
    let listener = start();
    assert_eq!(listener.post("/after", &[], b"x").status, 200);
    assert_eq!(listener.last()["id"].as_u64(), Some(301));
}

#[test]
fn ids_go_on_from_the_full_segments_when_the_journal_is_empty() {
    let kept = tempfile::tempdir().unwrap();
    let journal = kept.path().join("journal.ndjson");
    // Stopped right after a new segment began: the journal is empty.
    std::fs::write(
        kept.path().join("journal.ndjson.5"),
        "{\"id\":5}\n{\"id\":6}\n{\"id\":7}\n",
    )
    .unwrap();
    std::fs::write(&journal, "").unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let listener = Listener::start_with(&["--keep-size", "1MiB"], scratch, journal.clone());
    assert_eq!(listener.post("/next", &[], b"x").status, 200);
    assert_eq!(listener.last()["id"].as_u64(), Some(8), "ids never repeat");
}

#[test]
fn keep_days_deletes_the_segments_whose_newest_record_is_older() {
    let kept = tempfile::tempdir().unwrap();
    let journal = kept.path().join("journal.ndjson");
    let old = kept.path().join("journal.ndjson.1");
    let recent = kept.path().join("journal.ndjson.2");
    std::fs::write(&old, "{\"id\":1}\n").unwrap();
    std::fs::write(&recent, "{\"id\":2}\n").unwrap();
    let ten_days = SystemTime::now() - Duration::from_secs(10 * 86_400);
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(ten_days)
        .unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let listener = Listener::start_with(&["--keep-days", "7"], scratch, journal.clone());
    assert_eq!(listener.post("/now", &[], b"x").status, 200);
    assert!(
        !old.exists(),
        "a segment ten days old is past a 7-day bound"
    );
    assert!(recent.exists());
    assert_eq!(listener.last()["id"].as_u64(), Some(3));
}

#[test]
fn bounds_are_usage_errors_when_wrong_or_without_a_file() {
    for args in [
        vec!["listen", "--keep-size", "1GiB"],
        vec!["listen", "--out", "j.ndjson", "--keep-size", "lots"],
        vec!["listen", "--out", "j.ndjson", "--keep-size", "0"],
        vec!["listen", "--out", "j.ndjson", "--keep-days=-1"],
    ] {
        let dir = tempfile::tempdir().unwrap();
        let output = Command::new(bin())
            .current_dir(dir.path())
            .args(&args)
            .args(["--bind", "127.0.0.1:0"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("--keep") || stderr.contains("size") || stderr.contains("days"),
            "{args:?}: {stderr}"
        );
        assert!(!dir.path().join("j.ndjson").exists());
    }
}
