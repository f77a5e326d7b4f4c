//! Captures as files: the NDJSON / JSON / HAR writers, atomic writes, and the loader
//! that reads a journal or capture back, skipping (and naming) the lines it cannot use.

use std::borrow::Borrow;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;

use serde_json::Value;

use crate::ndjson::{Layout, layout};
use crate::record::{Record, append_json};

mod har;
pub use har::har_entry;

/// The export formats, chosen by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Ndjson,
    Json,
    Har,
    /// One mail, its raw message as received (`.eml`).
    Eml,
}

impl Format {
    /// Every format, in the order menus list them.
    pub const ALL: [Format; 3] = [Format::Ndjson, Format::Json, Format::Har];

    /// The format a path names by its extension.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            "json" => Some(Format::Json),
            "har" => Some(Format::Har),
            "eml" => Some(Format::Eml),
            _ => None,
        }
    }

    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Ndjson => "ndjson",
            Format::Json => "json",
            Format::Har => "har",
            Format::Eml => "eml",
        }
    }
}

/// Where HAR entries say requests went when the listener's address is not known.
pub const DEFAULT_ORIGIN: &str = "http://127.0.0.1:8787";

/// Writes `records` in `format`. `origin` (`http://HOST:PORT`, the listener's own
/// address) starts HAR URLs; a sender's `Host` header never does.
pub fn write<W: Write>(out: W, format: Format, records: &[Record], origin: &str) -> io::Result<()> {
    write_each(out, format, records.iter().map(Ok), origin)
}

/// Like [`write`], for records read one at a time (the first error stops it).
pub fn write_each<W: Write, R: Borrow<Record>>(
    mut out: W,
    format: Format,
    records: impl IntoIterator<Item = io::Result<R>>,
    origin: &str,
) -> io::Result<()> {
    let mut buf = Vec::with_capacity(4096);
    match format {
        Format::Ndjson => {
            for record in records {
                put(&mut out, &mut buf, b"", record?.borrow())?;
                out.write_all(b"\n")?;
            }
        }
        Format::Json => {
            out.write_all(b"[")?;
            for (i, record) in records.into_iter().enumerate() {
                let separator: &[u8] = if i == 0 { b"\n" } else { b",\n" };
                put(&mut out, &mut buf, separator, record?.borrow())?;
            }
            out.write_all(b"\n]\n")?;
        }
        Format::Eml => {
            let mut records = records.into_iter();
            let mail = records
                .next()
                .transpose()?
                .filter(|record| record.borrow().transport.is_mail())
                .ok_or_else(|| {
                    io::Error::new(io::ErrorKind::InvalidInput, "only a mail saves as .eml")
                })?;
            if records.next().is_some() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "an .eml file holds one mail: save one mail (its detail's Save as .eml)",
                ));
            }
            out.write_all(&mail.borrow().body_bytes())?;
        }
        Format::Har => {
            // Written entry by entry so a large capture never exists twice in memory.
            out.write_all(br#"{"log":{"version":"1.2","creator":{"name":"hookscope","version":""#)?;
            out.write_all(env!("CARGO_PKG_VERSION").as_bytes())?;
            out.write_all(br#""},"pages":[],"entries":["#)?;
            // HAR holds HTTP exchanges: mails are left out, and said.
            let (mut written, mut mails) = (0, 0);
            for record in records {
                let record = record?;
                let record = record.borrow();
                if record.transport.is_mail() {
                    mails += 1;
                    continue;
                }
                let separator: &[u8] = if written == 0 { b"\n" } else { b",\n" };
                put(&mut out, &mut buf, separator, &har_entry(record, origin))?;
                written += 1;
            }
            out.write_all(b"\n]}}\n")?;
            if mails > 0 {
                log::warn!(
                    "{mails} mail(s) left out of the HAR file: HAR holds HTTP requests only"
                );
            }
        }
    }
    out.flush()
}

/// Writes `separator` and `value` as JSON, serialised into `buf` (reused) first.
fn put<W: Write, T: serde::Serialize>(
    out: &mut W,
    buf: &mut Vec<u8>,
    separator: &[u8],
    value: &T,
) -> io::Result<()> {
    buf.clear();
    buf.extend_from_slice(separator);
    append_json(buf, value)?;
    out.write_all(buf)
}

/// Writes to a temporary file beside `path`, then renames it into place, so a
/// reader never sees half a file and a failed export leaves the old one intact.
/// The file is the owner's alone (0600) unless it existed: then it keeps its mode. A
/// link at `path` is replaced by the file, and lends it nothing (not its target's mode).
pub fn write_atomic<R: Borrow<Record>>(
    path: &Path,
    format: Format,
    records: impl IntoIterator<Item = io::Result<R>>,
    origin: &str,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    // tempfile creates the file 0600. Its errors name the temporary file, which
    // the user never chose: say the folder instead.
    let temp = tempfile::NamedTempFile::new_in(dir).map_err(|err| {
        io::Error::new(
            err.kind(),
            format!("cannot write in {}: {}", dir.display(), err.kind()),
        )
    })?;
    if let Ok(existing) = std::fs::symlink_metadata(path)
        && existing.file_type().is_file()
    {
        temp.as_file().set_permissions(existing.permissions())?;
    }
    let mut out = BufWriter::new(temp);
    write_each(&mut out, format, records, origin)?;
    let temp = out.into_inner().map_err(|err| err.into_error())?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|err| {
        io::Error::new(
            err.error.kind(),
            format!("cannot replace it: {}", err.error.kind()),
        )
    })?;
    Ok(())
}

/// Records read back from a file, and what had to be skipped.
#[derive(Debug, Default)]
pub struct Loaded {
    pub records: Vec<Record>,
    /// One line per skipped line or entry, naming it.
    pub problems: Vec<String>,
}

/// Reads a journal (NDJSON, its segments in order) or a JSON array of records.
pub fn load(path: &Path) -> io::Result<Loaded> {
    let segments = crate::segments::list(path)?;
    if segments.len() == 1 {
        return load_from(BufReader::new(File::open(path)?));
    }
    let mut loaded = Loaded::default();
    for segment in segments {
        let file = match File::open(&segment.path) {
            Ok(file) => file,
            // Full segments may stand without the one being written.
            Err(err) if err.kind() == io::ErrorKind::NotFound && segment.first_id.is_none() => {
                continue;
            }
            Err(err) => return Err(err),
        };
        let part = load_from(BufReader::new(file))?;
        loaded.records.extend(part.records);
        let name = segment.path.display();
        loaded
            .problems
            .extend(part.problems.into_iter().map(|p| format!("{name}: {p}")));
    }
    Ok(loaded)
}

/// Like [`load`], from any reader.
pub fn load_from<R: BufRead>(mut reader: R) -> io::Result<Loaded> {
    loop {
        let buf = reader.fill_buf()?;
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(at) => {
                reader.consume(at);
                break;
            }
            None if buf.is_empty() => return Ok(Loaded::default()),
            None => {
                let len = buf.len();
                reader.consume(len);
            }
        }
    }
    match layout(reader.fill_buf()?) {
        Layout::Array => load_array(reader),
        Layout::Har => load_har(reader),
        Layout::Lines => load_lines(reader),
    }
}

/// A HAR file: each entry's `_hookscope` is its record (hookscope writes it there).
fn load_har<R: Read>(mut reader: R) -> io::Result<Loaded> {
    let mut loaded = Loaded::default();
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes)?;
    let har: Value = match crate::ndjson::from_slice(&bytes) {
        Ok(har) => har,
        Err(err) => {
            loaded.problems.push(format!(
                "the HAR file is not whole JSON ({err}); nothing read"
            ));
            return Ok(loaded);
        }
    };
    let entries = har["log"]["entries"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for (index, mut entry) in entries.into_iter().enumerate() {
        match serde_json::from_value::<Record>(entry["_hookscope"].take()) {
            Ok(record) => loaded.records.push(record),
            Err(_) => loaded.problems.push(format!(
                "HAR entry {} carries no hookscope record (written by another tool, or an older hookscope); skipped",
                index + 1
            )),
        }
    }
    Ok(loaded)
}

fn load_lines<R: BufRead>(reader: R) -> io::Result<Loaded> {
    let mut loaded = Loaded::default();
    for entry in crate::ndjson::Lines::new(reader, 0) {
        let entry = entry?;
        match entry.record {
            Ok(record) => loaded.records.push(record),
            Err(problem) => loaded.problems.push(problem.describe(entry.index + 1)),
        }
    }
    Ok(loaded)
}

fn load_array<R: Read>(mut reader: R) -> io::Result<Loaded> {
    // Entry by entry, so a file cut short (or one bad entry) still gives up what is good.
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes)?;
    let mut loaded = Loaded::default();
    // Line numbers counted on from the last one asked for (offsets only grow): a
    // file of many bad entries costs one pass, not one per entry.
    let counted = std::cell::Cell::new((0usize, 1usize));
    let line_of = |offset: usize| {
        let (from, line) = counted.get();
        let to = offset.min(bytes.len()).max(from);
        let line = line + bytes[from..to].iter().filter(|b| **b == b'\n').count();
        counted.set((to, line));
        line
    };
    let skip_ws = |mut at: usize| {
        while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
            at += 1;
        }
        at
    };
    // `load_from` has consumed everything before the '['.
    let mut at = skip_ws(1);
    if bytes.get(at) == Some(&b']') {
        return Ok(loaded);
    }
    let mut index = 0;
    loop {
        index += 1;
        let value = match crate::ndjson::first_value(&bytes[at..]) {
            Some(Ok((value, used))) => {
                let start = at;
                at = skip_ws(at + used);
                (value, start)
            }
            Some(Err(err)) => {
                let why = if err.is_eof() {
                    "cut short"
                } else {
                    "not JSON"
                };
                loaded.problems.push(format!(
                    "entry {index} (line {}) is {why} ({err}); the rest of the file is skipped",
                    line_of(at)
                ));
                return Ok(loaded);
            }
            None => {
                loaded.problems.push(format!(
                    "the array ends without ']' after entry {}",
                    index - 1
                ));
                return Ok(loaded);
            }
        };
        let (value, start) = value;
        match serde_json::from_value::<Record>(value) {
            Ok(record) => loaded.records.push(record),
            Err(err) => loaded.problems.push(format!(
                "entry {index} (line {}) is not a hookscope record ({err}); skipped",
                line_of(start)
            )),
        }
        match bytes.get(at) {
            Some(b',') => at = skip_ws(at + 1),
            Some(b']') => return Ok(loaded),
            _ => {
                loaded.problems.push(format!(
                    "the array is cut short after entry {index} (line {})",
                    line_of(at)
                ));
                return Ok(loaded);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample(id: u64) -> Record {
        let mut record = Record::request(
            "2026-11-26T13:45:11.123Z",
            "POST",
            "/hooks?x=1",
            "127.0.0.1:5000",
            vec![("Host".to_owned(), "example.test".to_owned())],
            b"hello",
        );
        record.id = id;
        record
    }

    #[test]
    fn ndjson_and_json_round_trip() {
        let records = vec![sample(1), sample(2)];
        for format in [Format::Ndjson, Format::Json] {
            let mut out = Vec::new();
            write(&mut out, format, &records, DEFAULT_ORIGIN).unwrap();
            let loaded = load_from(&out[..]).unwrap();
            assert_eq!(loaded.records, records, "{format:?}");
            assert!(loaded.problems.is_empty());
        }
    }

    #[test]
    fn torn_last_line_and_garbage_are_named_and_skipped() {
        let mut out = Vec::new();
        write(
            &mut out,
            Format::Ndjson,
            &[sample(1), sample(2)],
            DEFAULT_ORIGIN,
        )
        .unwrap();
        out.extend_from_slice(b"not json\n");
        write(&mut out, Format::Ndjson, &[sample(3)], DEFAULT_ORIGIN).unwrap();
        out.extend_from_slice(br#"{"id":4,"received_at":"2026"#);
        let loaded = load_from(&out[..]).unwrap();
        assert_eq!(
            loaded.records.iter().map(|r| r.id).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert_eq!(loaded.problems.len(), 2);
        assert!(
            loaded.problems[0].starts_with("line 3 is not"),
            "{:?}",
            loaded.problems
        );
        assert!(
            loaded.problems[1].starts_with("line 5 is cut short"),
            "{:?}",
            loaded.problems
        );
    }

    #[test]
    fn a_cut_or_mixed_json_array_gives_up_what_is_good() {
        let mut out = Vec::new();
        write(
            &mut out,
            Format::Json,
            &[sample(1), sample(2), sample(3)],
            DEFAULT_ORIGIN,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        let cut = &text[..text.len() - 40];
        let loaded = load_from(cut.as_bytes()).unwrap();
        assert_eq!(
            loaded.records.iter().map(|r| r.id).collect::<Vec<_>>(),
            [1, 2]
        );
        assert!(
            loaded.problems[0].starts_with("entry 3 (line 4) is cut short"),
            "{:?}",
            loaded.problems
        );

        let mixed = text.replacen("\n{", "\n{\"version\":9},\n{", 1);
        let loaded = load_from(mixed.as_bytes()).unwrap();
        assert_eq!(loaded.records.len(), 3);
        assert!(
            loaded.problems[0].starts_with("entry 1 (line 2) is not a hookscope record"),
            "{:?}",
            loaded.problems
        );
        assert!(load_from(&b"  [ ]"[..]).unwrap().records.is_empty());
    }

    #[test]
    fn har_has_entries_with_url_and_status() {
        let mut out = Vec::new();
        write(&mut out, Format::Har, &[sample(7)], DEFAULT_ORIGIN).unwrap();
        let har: Value = serde_json::from_slice(&out).unwrap();
        let entry = &har["log"]["entries"][0];
        assert_eq!(har["log"]["version"], "1.2");
        // The listener's address, never the sender's Host header (example.test).
        assert_eq!(entry["request"]["url"], "http://127.0.0.1:8787/hooks?x=1");
        assert_eq!(entry["request"]["queryString"][0]["name"], "x");
        assert_eq!(entry["response"]["status"], 200);
        assert_eq!(entry["response"]["statusText"], "OK");
        // A HAR file hookscope wrote opens back, record for record.
        let back = load_from(&out[..]).unwrap();
        assert!(back.problems.is_empty(), "{:?}", back.problems);
        assert_eq!(back.records, vec![sample(7)]);
        let foreign = br#"{"log":{"entries":[{"request":{}}]}}"#;
        let loaded = load_from(&foreign[..]).unwrap();
        assert!(loaded.records.is_empty());
        assert!(loaded.problems[0].contains("no hookscope record"));
    }

    #[test]
    fn a_failed_export_names_the_folder_not_a_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing/out.ndjson");
        let err = write_atomic(
            &path,
            Format::Ndjson,
            [Ok::<_, io::Error>(sample(1))],
            DEFAULT_ORIGIN,
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("missing"), "{text}");
        assert!(!text.contains("missing/.tmp"), "{text}");
    }

    #[test]
    fn format_by_extension() {
        assert_eq!(Format::from_path(Path::new("a/b.HAR")), Some(Format::Har));
        assert_eq!(
            Format::from_path(Path::new("b.jsonl")),
            Some(Format::Ndjson)
        );
        assert_eq!(Format::from_path(Path::new("b.txt")), None);
    }
}
