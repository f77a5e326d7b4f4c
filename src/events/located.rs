//! Where each event's record is (a line of a file, or in memory), and reading
//! records back by offset: one for a selection, runs of lines in blocks for a job,
//! on every core.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Progress, Summary};
use crate::ndjson::Line;
use crate::record::Record;

/// A file of record lines (a journal, or a capture opened), read by offset.
#[derive(Debug)]
pub struct Lines {
    pub(super) file: File,
    pub(super) path: PathBuf,
}

impl Lines {
    /// Opens `path` for reading lines by offset.
    pub fn open(path: &Path) -> io::Result<Arc<Lines>> {
        Ok(Arc::new(Lines {
            file: File::open(path)?,
            path: path.to_owned(),
        }))
    }

    /// The bytes of `line`.
    fn bytes(&self, line: Line) -> io::Result<Vec<u8>> {
        let mut bytes = vec![0; line.len as usize];
        crate::ndjson::read_at(&self.file, &mut bytes, line.offset)?;
        Ok(bytes)
    }
}

/// A record line, parsed.
fn parse(bytes: &[u8]) -> io::Result<Record> {
    crate::ndjson::parse(bytes).map_err(|err| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("the journal changed under the window: {err}"),
        )
    })
}

/// Where a held event's record is.
#[derive(Debug, Clone)]
pub enum Stored {
    /// A line of the store's file.
    Line(Line),
    /// In memory, without its decoded parts (they are derived again when needed).
    Held(Arc<Record>),
}

/// One held event.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Position in arrival order within this window, stable while the event is held.
    pub seq: u64,
    pub stored: Stored,
    pub summary: Summary,
}

/// The records of some held events, for a job to read: where each is, and the
/// file its lines are in.
#[derive(Debug, Default)]
pub struct Located {
    pub(super) lines: Option<Arc<Lines>>,
    pub(super) events: Vec<(u64, Stored)>,
}

/// Most bytes a job reads from the file at once.
const READ_BLOCK: u64 = 1 << 20;

impl Located {
    /// Records that are in no file (made in the window: an edited request).
    pub fn held(records: Vec<Record>) -> Located {
        Located {
            lines: None,
            events: records
                .into_iter()
                .map(|record| (0, Stored::Held(Arc::new(record))))
                .collect(),
        }
    }

    /// How many events.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Every event's seq and record, in order. Lines next to each other in the
    /// file are read in blocks of up to a megabyte.
    pub fn iter(&self) -> Reading<'_> {
        self.reading(&self.events)
    }

    fn reading<'a>(&'a self, events: &'a [(u64, Stored)]) -> Reading<'a> {
        Reading {
            events,
            lines: self.lines.as_deref(),
            at: 0,
            block: None,
        }
    }

    /// `each` over every event's seq and record, on as many threads as there are
    /// cores, each reading a stretch of the file in order; the results in order.
    /// `None` when newer work stopped it (see [`Progress`]).
    pub fn par_filter_map<T: Send>(
        &self,
        progress: &Progress,
        each: impl Fn(u64, Record) -> Option<T> + Sync,
    ) -> Option<Vec<T>> {
        let threads = crate::ndjson::readers().min(self.events.len() / 256 + 1);
        let chunk = self.events.len().div_ceil(threads).max(1);
        let run = |events: &[(u64, Stored)]| -> Option<Vec<T>> {
            let mut out = Vec::new();
            for (seq, record) in self.reading(events) {
                if progress.stopped() {
                    return None;
                }
                if let Ok(record) = record
                    && let Some(value) = each(seq, record)
                {
                    out.push(value);
                }
                progress.add(1);
            }
            Some(out)
        };
        let parts: Vec<Option<Vec<T>>> = std::thread::scope(|scope| {
            let handles: Vec<_> = self
                .events
                .chunks(chunk)
                .map(|events| scope.spawn(|| run(events)))
                .collect();
            handles
                .into_iter()
                .map(|handle| handle.join().ok().flatten())
                .collect()
        });
        let mut all = Vec::with_capacity(self.events.len());
        for part in parts {
            all.extend(part?);
        }
        Some(all)
    }
}

/// A block of lines read at once: where it starts in the file, its bytes (or why
/// not), and the index in [`Located`] of the first event past it.
type Block = (u64, Result<Vec<u8>, (io::ErrorKind, String)>, usize);

/// The records of a [`Located`], read in order.
pub struct Reading<'a> {
    events: &'a [(u64, Stored)],
    lines: Option<&'a Lines>,
    at: usize,
    block: Option<Block>,
}

impl Reading<'_> {
    /// Reads the run of lines that follow each other from event `at` on, up to a block.
    fn read_block(&self, at: usize, first: Line) -> Block {
        let events = self.events;
        let start = first.offset;
        let mut end = first.offset + u64::from(first.len);
        let mut run = at + 1;
        while let Some((_, Stored::Line(next))) = events.get(run) {
            let next_end = next.offset + u64::from(next.len);
            if next.offset < end || next.offset > end + 1 || next_end - start > READ_BLOCK {
                break;
            }
            end = next_end;
            run += 1;
        }
        let bytes = match self.lines {
            Some(lines) => lines
                .bytes(Line {
                    offset: start,
                    len: u32::try_from(end - start).unwrap_or(u32::MAX),
                })
                .map_err(|err| (err.kind(), err.to_string())),
            None => Err((
                io::ErrorKind::NotFound,
                "the event's file is gone".to_owned(),
            )),
        };
        (start, bytes, run)
    }
}

impl Iterator for Reading<'_> {
    type Item = (u64, io::Result<Record>);

    fn next(&mut self) -> Option<Self::Item> {
        let at = self.at;
        let (seq, stored) = self.events.get(at)?;
        self.at += 1;
        let line = match stored {
            Stored::Held(record) => return Some((*seq, Ok(Record::clone(record)))),
            Stored::Line(line) => *line,
        };
        if self.block.as_ref().is_none_or(|(_, _, end)| at >= *end) {
            self.block = Some(self.read_block(at, line));
        }
        let record = match &self.block {
            Some((start, Ok(bytes), _)) => {
                let from = (line.offset - start) as usize;
                parse(&bytes[from..from + line.len as usize])
            }
            Some((_, Err((kind, text)), _)) => Err(io::Error::new(*kind, text.clone())),
            None => Err(io::Error::other("unreachable: no block")),
        };
        Some((*seq, record))
    }
}
