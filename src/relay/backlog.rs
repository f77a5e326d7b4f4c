//! Reading a journal's records after an id, as the lines it holds (never
//! re-serialised): the relay's `/v1/records` and the start of every `/v1/stream`.

use std::io::{self, BufRead as _, BufReader};
use std::path::Path;

/// A record line of the journal and its id.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: u64,
    /// The record's JSON, without its newline.
    pub line: std::sync::Arc<[u8]>,
}

/// The id of a record line: its leading `{"id":N` read directly (hookscope writes
/// the id first), else the line parsed for it.
pub fn line_id(line: &[u8]) -> Option<u64> {
    if let Some(rest) = line.strip_prefix(b"{\"id\":") {
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits > 0 && rest.get(digits).is_some_and(|b| matches!(b, b',' | b'}')) {
            return std::str::from_utf8(&rest[..digits]).ok()?.parse().ok();
        }
    }
    #[derive(serde::Deserialize)]
    struct Id {
        id: u64,
    }
    crate::ndjson::from_slice::<Id>(line)
        .ok()
        .map(|found| found.id)
}

/// Up to `limit` records of the journal at `path` (every segment, in order) whose
/// id is above `after`. Full segments that end at or below `after` are not read.
pub fn read_after(path: &Path, after: u64, limit: usize) -> io::Result<Vec<Entry>> {
    let mut out = Vec::new();
    each_after(path, after, |id, line| {
        out.push(Entry {
            id,
            line: std::sync::Arc::from(line),
        });
        out.len() < limit
    })?;
    Ok(out)
}

/// Calls `visit` with the id and line of each record of the journal at `path` whose
/// id is above `after`, in order, holding one line at a time, until it returns false.
pub fn each_after(
    path: &Path,
    after: u64,
    mut visit: impl FnMut(u64, &[u8]) -> bool,
) -> io::Result<()> {
    let segments = crate::segments::list(path)?;
    for (at, segment) in segments.iter().enumerate() {
        // A full segment holds the ids below the next one's first.
        let next_first = segments.get(at + 1).and_then(|s| s.first_id);
        if next_first.is_some_and(|first| first <= after.saturating_add(1)) {
            continue;
        }
        let file = match std::fs::File::open(&segment.path) {
            Ok(file) => file,
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => return Err(err),
        };
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut line = Vec::new();
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            // A torn last line (being written) is not a record yet.
            if !line.ends_with(b"\n") {
                break;
            }
            let text = line.trim_ascii_end();
            let Some(id) = line_id(text) else {
                continue;
            };
            if id > after && !visit(id, text) {
                return Ok(());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_read_from_the_line_start_or_parsed() {
        assert_eq!(line_id(br#"{"id":17,"transport":"http"}"#), Some(17));
        assert_eq!(line_id(br#"{"transport":"http","id":9}"#), Some(9));
        assert_eq!(line_id(br#"{"id":"x"}"#), None);
        assert_eq!(line_id(b"garbage"), None);
    }
}
