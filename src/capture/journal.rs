//! The append-only NDJSON journal. A record is numbered and written (one `write`
//! of the whole line, under a lock) before its request is answered, so a sender
//! never sees a reply for a record that is not in the file. Serialisation happens
//! outside the lock, on the request's own thread, so writers only queue for the
//! write itself.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::record::Record;

/// Receives every record after it is journaled (the GUI's live list).
pub type Subscriber = Box<dyn FnMut(Record) + Send>;

/// Why a record could not be journaled.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("could not write the journal: {0}")]
    Write(String),
}

struct Inner {
    sink: Box<dyn Write + Send>,
    last_id: u64,
    subscriber: Option<Subscriber>,
    line: Vec<u8>,
}

/// The journal. Cheap to clone; every clone appends to the same sink.
#[derive(Clone)]
pub struct Journal {
    inner: Arc<Mutex<Inner>>,
}

/// The handle request handlers hold (the same journal).
pub type JournalHandle = Journal;

/// The serialised form of a record with id 0 starts with these bytes; the real
/// id is put in their place when the line is written.
const ID_PLACEHOLDER: &[u8] = b"{\"id\":0,";

impl Journal {
    /// A journal on `sink`; ids continue after `last_id`.
    pub fn spawn(
        sink: Box<dyn Write + Send>,
        last_id: u64,
        subscriber: Option<Subscriber>,
    ) -> io::Result<Journal> {
        Ok(Journal {
            inner: Arc::new(Mutex::new(Inner {
                sink,
                last_id,
                subscriber,
                line: Vec::with_capacity(4096),
            })),
        })
    }

    /// Opens (or creates) `path` for appending and continues after its last id.
    pub fn open(path: &Path, subscriber: Option<Subscriber>) -> io::Result<Journal> {
        let (file, last_id) = open_append(path)?;
        Journal::spawn(Box::new(file), last_id, subscriber)
    }

    /// Another handle on the same journal.
    pub fn handle(&self) -> JournalHandle {
        self.clone()
    }

    /// Numbers `record`, writes it as one line and flushes; returns its id.
    pub fn commit(&self, mut record: Record) -> Result<u64, JournalError> {
        record.id = 0;
        let mut body = Vec::with_capacity(2048 + record.body_len() * 2);
        serde_json::to_writer(&mut body, &record)
            .map_err(|err| JournalError::Write(err.to_string()))?;
        debug_assert!(body.starts_with(ID_PLACEHOLDER));
        let rest = body.get(ID_PLACEHOLDER.len()..).unwrap_or_default();
        let mut inner = self
            .inner
            .lock()
            .map_err(|_| JournalError::Write("a writer panicked".to_owned()))?;
        let inner = &mut *inner;
        let id = inner.last_id + 1;
        inner.line.clear();
        inner.line.extend_from_slice(b"{\"id\":");
        inner.line.extend_from_slice(id.to_string().as_bytes());
        inner.line.push(b',');
        inner.line.extend_from_slice(rest);
        inner.line.push(b'\n');
        let written = inner
            .sink
            .write_all(&inner.line)
            .and_then(|()| inner.sink.flush());
        if let Err(err) = written {
            log::error!("could not write the journal: {err}");
            return Err(JournalError::Write(err.to_string()));
        }
        inner.last_id = id;
        if let Some(subscriber) = inner.subscriber.as_mut() {
            record.id = id;
            subscriber(record);
        }
        Ok(id)
    }

    /// Flushes the sink (every line is already flushed; this is for a clean stop).
    pub fn finish(self) {
        if let Ok(mut inner) = self.inner.lock() {
            let _ = inner.sink.flush();
        }
    }
}

/// Opens a journal for appending: finds its last id, and ends a torn last line so
/// the next record starts on a line of its own.
pub fn open_append(path: &Path) -> io::Result<(File, u64)> {
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)?;
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok((file, 0));
    }
    let tail_len = len.min(1024 * 1024);
    file.seek(SeekFrom::Start(len - tail_len))?;
    let mut tail = Vec::with_capacity(tail_len as usize);
    Read::by_ref(&mut file)
        .take(tail_len)
        .read_to_end(&mut tail)?;
    if tail.last() != Some(&b'\n') {
        file.write_all(b"\n")?;
    }
    let last_id = tail
        .lines()
        .map_while(Result::ok)
        .filter_map(|line| {
            serde_json::from_str::<serde_json::Value>(&line)
                .ok()?
                .get("id")?
                .as_u64()
        })
        .max()
        .unwrap_or(0);
    Ok((file, last_id))
}
