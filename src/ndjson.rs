//! The one reader of record lines (NDJSON: a journal, or a capture exported as
//! lines): where each line lies, the torn-last-line rule, and the parse of a line
//! into a [`Record`]. Export, the window's restore, the journal's reopening,
//! `timeline`, `shapes` and `replay` all read through it.

use std::fs::File;
use std::io::{self, BufRead, Read, Seek};

use crate::record::Record;

/// Where a record's line lies in a file: its first byte and its length, without
/// the newline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub offset: u64,
    pub len: u32,
}

/// A record line, parsed. Field names a record once had are read through the
/// record's own serde aliases.
pub fn parse(bytes: &[u8]) -> serde_json::Result<Record> {
    from_slice(bytes)
}

/// The deepest nesting a capture may hold. The listener takes claims as deep as
/// serde_json's own limit (128 levels), and a record, or a HAR entry, adds levels
/// of its own around them: what was acknowledged must read back.
pub const MAX_DEPTH: usize = 192;

/// One JSON value from `bytes`, as serde_json reads it, but up to [`MAX_DEPTH`]
/// levels instead of 128. Only a value past 128 levels pays for the depth check.
pub fn from_slice<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> serde_json::Result<T> {
    match serde_json::from_slice(bytes) {
        Err(err) if too_deep(&err) && depth(bytes) <= MAX_DEPTH => {
            let mut deserializer = serde_json::Deserializer::from_slice(bytes);
            deserializer.disable_recursion_limit();
            let value = T::deserialize(&mut deserializer)?;
            deserializer.end()?;
            Ok(value)
        }
        other => other,
    }
}

/// The first JSON value of `bytes` and how many bytes it took (`None`: there is
/// none), read as deep as [`from_slice`] reads: for a file of values one after
/// another (a JSON array's entries).
pub fn first_value(bytes: &[u8]) -> Option<serde_json::Result<(serde_json::Value, usize)>> {
    let read = |unbounded: bool| {
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        if unbounded {
            deserializer.disable_recursion_limit();
        }
        let mut stream = deserializer.into_iter::<serde_json::Value>();
        stream
            .next()
            .map(|value| value.map(|value| (value, stream.byte_offset())))
    };
    match read(false) {
        Some(Err(err)) if too_deep(&err) && depth(bytes) <= MAX_DEPTH => read(true),
        other => other,
    }
}

/// True when serde_json gave up for its recursion limit.
fn too_deep(err: &serde_json::Error) -> bool {
    err.to_string().starts_with("recursion limit exceeded")
}

/// How deep the first JSON value of `bytes` nests (brackets outside strings).
fn depth(bytes: &[u8]) -> usize {
    let (mut level, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                level += 1;
                deepest = deepest.max(level);
            }
            b']' | b'}' => {
                level = level.saturating_sub(1);
                if level == 0 {
                    break;
                }
            }
            _ => {}
        }
    }
    deepest
}

/// Why a line holds no record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The file's last line, without its newline, ends early: an interrupted write.
    Torn,
    /// It is not a record: why.
    Bad(String),
}

impl Problem {
    /// What is said of line `number` (from 1).
    pub fn describe(&self, number: usize) -> String {
        match self {
            Problem::Torn => format!("line {number} is cut short (an interrupted write); skipped"),
            Problem::Bad(error) => {
                format!("line {number} is not a hookscope record ({error}); skipped")
            }
        }
    }
}

/// One line that is not blank.
#[derive(Debug)]
pub struct Entry {
    /// The line's number within what is read, from 0 (blank lines count).
    pub index: usize,
    /// Where it lies in the file (`None`: longer than a [`Line`] can say).
    pub line: Option<Line>,
    pub record: Result<Record, Problem>,
}

/// The lines of a reader, each parsed into a record or named as a problem.
/// Blank lines are skipped (they count for line numbers).
pub struct Lines<R> {
    reader: R,
    /// Offset in the file of the next line.
    offset: u64,
    index: usize,
    buf: Vec<u8>,
}

impl<R: BufRead> Lines<R> {
    /// Reads `reader`, whose first byte is at `offset` of the file.
    pub fn new(reader: R, offset: u64) -> Lines<R> {
        Lines {
            reader,
            offset,
            index: 0,
            buf: Vec::with_capacity(8192),
        }
    }

    /// Lines seen so far, blank ones included.
    pub fn seen(&self) -> usize {
        self.index
    }

    /// The offset in the file of the next line.
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

impl<R: BufRead> Iterator for Lines<R> {
    type Item = io::Result<Entry>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.buf.clear();
            let n = match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => return None,
                Ok(n) => n,
                Err(err) => return Some(Err(err)),
            };
            let at = self.offset;
            self.offset += n as u64;
            let index = self.index;
            self.index += 1;
            let ended = self.buf.ends_with(b"\n");
            let text = self.buf.strip_suffix(b"\n").unwrap_or(&self.buf);
            if text.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let record = match parse(text) {
                Ok(record) => Ok(record),
                // Only the last line can lack its newline.
                Err(err) if !ended && err.is_eof() => Err(Problem::Torn),
                Err(err) => Err(Problem::Bad(err.to_string())),
            };
            let line = u32::try_from(text.len())
                .ok()
                .map(|len| Line { offset: at, len });
            return Some(Ok(Entry {
                index,
                line,
                record,
            }));
        }
    }
}

/// The lines in `start..end` of the file at `path`, read through a buffer of a
/// megabyte on a handle of their own.
pub fn range(path: &std::path::Path, start: u64, end: u64) -> io::Result<Lines<impl BufRead>> {
    let mut file = File::open(path)?;
    file.seek(io::SeekFrom::Start(start))?;
    let reader = io::BufReader::with_capacity(1 << 20, file.take(end - start));
    Ok(Lines::new(reader, start))
}

/// How many threads read a file of lines at once: one per core, at most 16.
pub fn readers() -> usize {
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(16)
}

/// Where each of `parts` stretches of the file starts (each at a line's start),
/// and its end: for reading one file on several threads.
pub fn split(file: &File, len: u64, parts: usize) -> io::Result<Vec<u64>> {
    let mut bounds = vec![0];
    for k in 1..parts as u64 {
        let guess = len * k / parts as u64;
        let from = (*bounds.last().unwrap_or(&0)).max(guess);
        // The line that starts after `from - 1`: find the next newline.
        let start = match next_newline(file, from.saturating_sub(1), len)? {
            Some(at) => at + 1,
            None => len,
        };
        if start > *bounds.last().unwrap_or(&0) && start < len {
            bounds.push(start);
        }
    }
    bounds.push(len);
    Ok(bounds)
}

/// The offset of the first newline at or after `at` (before `len`).
fn next_newline(file: &File, mut at: u64, len: u64) -> io::Result<Option<u64>> {
    let mut buf = [0u8; 4096];
    while at < len {
        let n = (len - at).min(buf.len() as u64) as usize;
        read_at(file, &mut buf[..n], at)?;
        if let Some(i) = buf[..n].iter().position(|b| *b == b'\n') {
            return Ok(Some(at + i as u64));
        }
        at += n as u64;
    }
    Ok(None)
}

/// Only the id of a line: any record, whatever else it holds.
#[derive(serde::Deserialize)]
struct Id {
    id: u64,
}

/// The id of the first line of `file` that holds one (`None`: no line does).
pub fn first_id(file: &File) -> io::Result<Option<u64>> {
    let mut reader = io::BufReader::new(file);
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(None);
        }
        if let Ok(found) = from_slice::<Id>(line.trim_ascii_end()) {
            return Ok(Some(found.id));
        }
    }
}

/// The id of the last line of the file's first `len` bytes that holds one, read
/// backwards line by line whatever their size (a torn or foreign last line is
/// passed over; 0 when none), and whether the file ends with a newline. Ids
/// increase in file order, so this is the highest.
pub fn last_id(file: &File, len: u64) -> io::Result<(u64, bool)> {
    if len == 0 {
        return Ok((0, true));
    }
    let mut last = [0u8];
    read_at(file, &mut last, len - 1)?;
    let ends_clean = last[0] == b'\n';
    // `end`: the end of the line looked at (its newline, or the file's end).
    let mut end = if ends_clean { len - 1 } else { len };
    let mut block = Vec::new();
    loop {
        let start = match previous_newline(file, end)? {
            Some(at) => at + 1,
            None => 0,
        };
        block.resize((end - start) as usize, 0);
        read_at(file, &mut block, start)?;
        if let Ok(line) = from_slice::<Id>(&block) {
            return Ok((line.id, ends_clean));
        }
        if start == 0 {
            return Ok((0, ends_clean));
        }
        end = start - 1;
    }
}

/// The offset of the last newline before `end`.
fn previous_newline(file: &File, end: u64) -> io::Result<Option<u64>> {
    let mut buf = [0u8; 64 * 1024];
    let mut to = end;
    while to > 0 {
        let from = to.saturating_sub(buf.len() as u64);
        let n = (to - from) as usize;
        read_at(file, &mut buf[..n], from)?;
        if let Some(i) = buf[..n].iter().rposition(|b| *b == b'\n') {
            return Ok(Some(from + i as u64));
        }
        to = from;
    }
    Ok(None)
}

/// Fills `buf` from `offset` of `file`, without moving the file's cursor.
#[cfg(unix)]
pub fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

/// Fills `buf` from `offset` of `file`.
#[cfg(windows)]
pub fn read_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, buf, offset)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

/// How a capture file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// A journal: one record per line (NDJSON).
    Lines,
    /// A JSON array of records.
    Array,
    /// A HAR file whose entries carry their records.
    Har,
}

/// The layout of a capture file, from its first bytes.
pub fn layout(head: &[u8]) -> Layout {
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    match &head[start..] {
        [b'[', ..] => Layout::Array,
        rest if rest.starts_with(b"{\"log\"") => Layout::Har,
        _ => Layout::Lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: u64) -> Record {
        let mut record = Record::request(
            "2026-11-26T13:45:11.123Z",
            "POST",
            "/p",
            "127.0.0.1:1",
            vec![],
            b"plain",
        );
        record.id = id;
        record
    }

    fn line(id: u64) -> String {
        serde_json::to_string(&record(id)).unwrap()
    }

    #[test]
    fn lines_give_offsets_blank_lines_count_and_the_torn_last_line_is_named() {
        let (a, b) = (line(1), line(2));
        let text = format!("{a}\nnot json\n\n{b}\n{}", &a[..40]);
        let entries: Vec<Entry> = Lines::new(text.as_bytes(), 0).map(Result::unwrap).collect();
        assert_eq!(entries.len(), 4);
        assert_eq!(
            entries[0].line,
            Some(Line {
                offset: 0,
                len: a.len() as u32
            })
        );
        assert_eq!(entries[0].record.as_ref().unwrap().id, 1);
        assert!(matches!(entries[1].record, Err(Problem::Bad(_))));
        assert_eq!(entries[2].index, 3, "the blank line counts");
        let at = entries[2].line.unwrap().offset as usize;
        assert_eq!(&text[at..at + b.len()], b);
        assert_eq!(entries[3].record, Err(Problem::Torn));
        assert_eq!(
            Problem::Torn.describe(5),
            "line 5 is cut short (an interrupted write); skipped"
        );
    }

    #[test]
    fn a_record_past_serde_jsons_128_levels_reads_back_and_a_deeper_one_is_refused() {
        let deep = |levels: usize| {
            let mut record = record(1);
            let claims = format!("{}{}", "[".repeat(levels), "]".repeat(levels));
            record.token = Some(crate::record::TokenInfo {
                source: "body".to_owned(),
                raw: String::new(),
                header: serde_json::Value::Null,
                claims: Some(serde_json::Value::Null),
            });
            let line = serde_json::to_string(&record).unwrap();
            line.replace("\"claims\":null", &format!("\"claims\":{claims}"))
        };
        let line = deep(127);
        assert!(depth(line.as_bytes()) > 128);
        assert!(
            serde_json::from_str::<Record>(&line).is_err(),
            "serde_json alone"
        );
        assert_eq!(parse(line.as_bytes()).unwrap().id, 1);
        let err = parse(deep(MAX_DEPTH).as_bytes()).unwrap_err();
        assert!(too_deep(&err), "{err}");
        assert_eq!(
            depth(br#"{"a":"[[[[","b":[1]}"#),
            2,
            "brackets in strings do not count"
        );
    }

    #[test]
    fn a_bad_line_with_its_newline_is_not_torn() {
        let text = format!("{}\n", &line(1)[..40]);
        let entry = Lines::new(text.as_bytes(), 0).next().unwrap().unwrap();
        assert!(matches!(entry.record, Err(Problem::Bad(_))));
    }

    #[test]
    fn the_last_id_is_found_behind_a_torn_line_whatever_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.ndjson");
        let mut big = record(7);
        big.body = Some("x".repeat(3 << 20));
        let text = format!(
            "{}\n{}\n{}",
            line(6),
            serde_json::to_string(&big).unwrap(),
            &line(8)[..30]
        );
        std::fs::write(&path, &text).unwrap();
        let file = File::open(&path).unwrap();
        let (last, clean) = last_id(&file, text.len() as u64).unwrap();
        assert_eq!(last, 7);
        assert!(!clean);
        assert_eq!(last_id(&file, 0).unwrap(), (0, true));
    }

    #[test]
    fn a_file_splits_at_line_starts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.ndjson");
        let text: String = (1..=50).map(|i| line(i) + "\n").collect();
        std::fs::write(&path, &text).unwrap();
        let file = File::open(&path).unwrap();
        let bounds = split(&file, text.len() as u64, 4).unwrap();
        assert_eq!(bounds.first(), Some(&0));
        assert_eq!(bounds.last(), Some(&(text.len() as u64)));
        let mut ids = Vec::new();
        for pair in bounds.windows(2) {
            assert!(pair[0] == 0 || text.as_bytes()[pair[0] as usize - 1] == b'\n');
            for entry in range(&path, pair[0], pair[1]).unwrap() {
                ids.push(entry.unwrap().record.unwrap().id);
            }
        }
        assert_eq!(ids, (1..=50).collect::<Vec<_>>());
    }
}
