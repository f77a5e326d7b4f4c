//! A journal's segment files and its bounds (`--keep-size`, `--keep-days`). The
//! journal `events.ndjson` is the segment being written; as it fills it is renamed
//! `events.ndjson.<its first id>` and a new one starts, so ids keep increasing from
//! one segment to the next, and the oldest whole segments are deleted when the
//! journal passes a bound. Every reader of a journal reads its segments in order
//! ([`list`]).

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// How far a journal may grow: its size on disk, and the age of its records.
/// Nothing set: it keeps everything.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Retention {
    /// Most bytes of all segments together.
    pub size: Option<u64>,
    /// Segments whose newest record is older than this are deleted.
    pub age: Option<Duration>,
}

/// A segment fills at this size when no `--keep-size` sets a smaller one.
const DEFAULT_SEGMENT: u64 = 64 << 20;
/// Segments are never smaller than this (a tiny bound keeps one segment).
const SMALLEST_SEGMENT: u64 = 4096;
/// How many segments a bound spans: what is deleted at once is an eighth of it.
const SEGMENTS_PER_BOUND: u64 = 8;

impl Retention {
    /// True when the journal is bounded.
    pub fn bounded(&self) -> bool {
        self.size.is_some() || self.age.is_some()
    }

    /// The size at which the segment being written is renamed and a new one started.
    pub fn segment_size(&self) -> u64 {
        self.size.map_or(DEFAULT_SEGMENT, |size| {
            (size / SEGMENTS_PER_BOUND).clamp(SMALLEST_SEGMENT, DEFAULT_SEGMENT)
        })
    }

    /// How long one segment takes records: an eighth of the age bound, so a quiet
    /// journal's old records still go in time.
    pub fn segment_age(&self) -> Option<Duration> {
        self.age.map(|age| age / SEGMENTS_PER_BOUND as u32)
    }
}

/// One segment of a journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub path: PathBuf,
    /// The first id it holds: from its name; for the segment being written, `None`.
    pub first_id: Option<u64>,
}

/// The name a full segment takes: the journal's, then its first id.
pub fn rotated(journal: &Path, first_id: u64) -> PathBuf {
    let mut name = journal.as_os_str().to_owned();
    name.push(format!(".{first_id}"));
    PathBuf::from(name)
}

/// A journal's segments in order: the full ones by first id, then the journal
/// itself (listed even when it does not exist, so a reader names it in its error).
pub fn list(journal: &Path) -> io::Result<Vec<Segment>> {
    let mut segments = rotated_segments(journal)?;
    segments.push(Segment {
        path: journal.to_owned(),
        first_id: None,
    });
    Ok(segments)
}

/// The full segments beside `journal`, oldest first.
fn rotated_segments(journal: &Path) -> io::Result<Vec<Segment>> {
    let (Some(dir), Some(name)) = (journal.parent(), journal.file_name()) else {
        return Ok(Vec::new());
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!("{}.", name.to_string_lossy());
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(err),
    };
    let mut segments = Vec::new();
    for entry in entries {
        let entry = entry?;
        let file_name = entry.file_name();
        let Some(id) = file_name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|digits| digits.parse::<u64>().ok())
        else {
            continue;
        };
        // Only plain files: a planted link or folder is no segment of ours.
        if entry.file_type()?.is_file() {
            segments.push(Segment {
                path: journal.with_file_name(&file_name),
                first_id: Some(id),
            });
        }
    }
    segments.sort_by_key(|s| s.first_id);
    Ok(segments)
}

/// True when `journal` has full segments beside it.
pub fn has_rotated(journal: &Path) -> bool {
    rotated_segments(journal).is_ok_and(|s| !s.is_empty())
}

/// The last id of the full segments (the newest one's), for a journal whose
/// segment being written is empty: 0 when there are none.
pub fn last_rotated_id(journal: &Path) -> io::Result<u64> {
    for segment in rotated_segments(journal)?.iter().rev() {
        let file = File::open(&segment.path)?;
        let len = file.metadata()?.len();
        let (id, _) = crate::ndjson::last_id(&file, len)?;
        if id > 0 {
            return Ok(id);
        }
    }
    Ok(0)
}

/// Deletes the oldest full segments while the journal passes a bound of
/// `retention`; `current` is the size of the segment being written (never
/// deleted). Returns the segments deleted.
pub fn enforce(journal: &Path, retention: &Retention, current: u64) -> io::Result<Vec<PathBuf>> {
    if !retention.bounded() {
        return Ok(Vec::new());
    }
    let mut full = Vec::new();
    for segment in rotated_segments(journal)? {
        let meta = std::fs::metadata(&segment.path)?;
        full.push((segment.path, meta.len(), meta.modified().ok()));
    }
    let mut total = current + full.iter().map(|(_, len, _)| len).sum::<u64>();
    let oldest_kept = retention
        .age
        .and_then(|age| SystemTime::now().checked_sub(age));
    let mut deleted = Vec::new();
    for (path, len, modified) in full {
        let too_big = retention.size.is_some_and(|size| total > size);
        let too_old = matches!((oldest_kept, modified), (Some(limit), Some(at)) if at < limit);
        if !too_big && !too_old {
            break;
        }
        std::fs::remove_file(&path)?;
        log::info!("deleted {} (the journal's bound)", path.display());
        total -= len;
        deleted.push(path);
    }
    Ok(deleted)
}

/// Deletes every full segment (the window's *Clear*).
pub fn remove_rotated(journal: &Path) -> io::Result<()> {
    for segment in rotated_segments(journal)? {
        std::fs::remove_file(&segment.path)?;
    }
    Ok(())
}

/// Reads a `--keep-size` value: bytes, or a number with a unit (`500MB`, `1GiB`).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let size: bytesize::ByteSize = text
        .trim()
        .parse()
        .map_err(|err| format!("{text:?} is not a size (say 500MB or 1GiB): {err}"))?;
    match size.as_u64() {
        0 => Err("a journal bound of 0 bytes would keep nothing".to_owned()),
        bytes => Ok(bytes),
    }
}

/// Reads a `--keep-days` value: a positive number of days (`7`, `0.5`).
pub fn parse_days(text: &str) -> Result<Duration, String> {
    let days: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of days"))?;
    if !(days > 0.0 && days <= 36_500.0) {
        return Err(format!("--keep-days takes 0 < D <= 36500, not {text}"));
    }
    Ok(Duration::from_secs_f64(days * 86_400.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_listed_by_first_id_then_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("events.ndjson");
        for name in [
            "events.ndjson.100",
            "events.ndjson.9",
            "events.ndjson.x1",
            "events.ndjson.",
            "other.ndjson.5",
        ] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        std::fs::create_dir(dir.path().join("events.ndjson.50")).unwrap();
        let ids: Vec<_> = list(&journal)
            .unwrap()
            .into_iter()
            .map(|s| s.first_id)
            .collect();
        assert_eq!(ids, [Some(9), Some(100), None]);
    }

    #[test]
    fn the_oldest_segments_go_first_and_the_current_one_never() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("j");
        for id in [1, 11, 21] {
            std::fs::write(rotated(&journal, id), [b'x'; 100]).unwrap();
        }
        let bound = Retention {
            size: Some(250),
            age: None,
        };
        let deleted = enforce(&journal, &bound, 100).unwrap();
        assert_eq!(deleted, [rotated(&journal, 1), rotated(&journal, 11)]);
        // Only the current segment left over the bound: it stays.
        let deleted = enforce(
            &journal,
            &Retention {
                size: Some(10),
                age: None,
            },
            100,
        )
        .unwrap();
        assert_eq!(deleted, [rotated(&journal, 21)]);
        assert!(!has_rotated(&journal));
    }

    #[test]
    fn old_segments_go_by_age() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("j");
        for (id, days_ago) in [(1, 10), (5, 3), (9, 0)] {
            let file = File::create(rotated(&journal, id)).unwrap();
            let at = SystemTime::now() - Duration::from_secs(days_ago * 86_400);
            file.set_modified(at).unwrap();
        }
        let bound = Retention {
            size: None,
            age: Some(Duration::from_secs(5 * 86_400)),
        };
        assert_eq!(
            enforce(&journal, &bound, 0).unwrap(),
            [rotated(&journal, 1)]
        );
    }

    #[test]
    fn sizes_and_days_are_read_as_people_write_them() {
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("500MB"), Ok(500_000_000));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("0").is_err());
        assert!(parse_size("lots").is_err());
        assert_eq!(parse_days("0.5"), Ok(Duration::from_secs(43_200)));
        assert!(parse_days("-1").is_err());
        assert!(parse_days("NaN").is_err());
    }
}
