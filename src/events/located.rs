//! Where each event's record is (a line of a file, or in memory), and reading
//! records back by offset: one for a selection, runs of lines in blocks for a job,
//! on every core.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use super::{Progress, Summary};
use crate::ndjson::Line;
use crate::record::Record;

/// A file of record lines (a journal with its segments, or a capture opened),
/// read by offset. A line's offset is within its segment, which the record's id
/// names: ids increase from one segment to the next.
#[derive(Debug)]
pub struct Lines {
    pub(super) path: PathBuf,
    /// Each segment's first id and path, in order; looked up again when a read
    /// finds the segments changed (the journal started a new one, or deleted old ones).
    segments: RwLock<Vec<(u64, PathBuf)>>,
}

impl Lines {
    /// The journal or capture at `path`, for reading lines by offset.
    pub fn open(path: &Path) -> io::Result<Arc<Lines>> {
        let lines = Lines {
            path: path.to_owned(),
            segments: RwLock::new(Vec::new()),
        };
        lines.refresh()?;
        Ok(Arc::new(lines))
    }

    /// Lists the segments again.
    fn refresh(&self) -> io::Result<()> {
        let listed = crate::segments::list(&self.path)?;
        let alone = listed.len() == 1;
        let mut segments = Vec::with_capacity(listed.len());
        for segment in listed {
            let first = match segment.first_id {
                Some(id) => id,
                // A file alone holds every id it has, in whatever order.
                None if alone => 0,
                None => match crate::ndjson::first_id(&File::open(&segment.path)?)? {
                    Some(id) => id,
                    None => continue,
                },
            };
            segments.push((first, segment.path));
        }
        *self
            .segments
            .write()
            .map_err(|_| io::Error::other("poisoned"))? = segments;
        Ok(())
    }

    /// The segment that holds record `id`: its index, or why none does.
    fn segment_of(&self, id: u64) -> io::Result<(usize, PathBuf)> {
        let segments = self
            .segments
            .read()
            .map_err(|_| io::Error::other("poisoned"))?;
        let at = segments.partition_point(|(first, _)| *first <= id);
        match at
            .checked_sub(1)
            .and_then(|i| Some((i, segments.get(i)?.1.clone())))
        {
            Some(found) => Ok(found),
            None => Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "record {id} is no longer in the journal: its bound (size or age) deleted the segment that held it"
                ),
            )),
        }
    }

    /// The bytes of `line`, in the segment of record `id`.
    fn bytes(&self, id: u64, line: Line) -> io::Result<Vec<u8>> {
        let (_, path) = self.segment_of(id)?;
        let mut bytes = vec![0; line.len as usize];
        crate::ndjson::read_at(&File::open(path)?, &mut bytes, line.offset)?;
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

/// Where one event's record is, for a job: its seq, its id (which names the
/// segment its line is in) and its place.
#[derive(Debug, Clone)]
pub(super) struct Place {
    pub seq: u64,
    pub id: u64,
    pub stored: Stored,
}

/// The records of some held events, for a job to read: where each is, and the
/// file its lines are in.
#[derive(Debug, Default)]
pub struct Located {
    pub(super) lines: Option<Arc<Lines>>,
    pub(super) events: Vec<Place>,
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
                .map(|record| Place {
                    seq: 0,
                    id: record.id,
                    stored: Stored::Held(Arc::new(record)),
                })
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

    fn reading<'a>(&'a self, events: &'a [Place]) -> Reading<'a> {
        Reading {
            events,
            lines: self.lines.as_deref(),
            at: 0,
            block: None,
            refreshed: false,
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
        let run = |events: &[Place]| -> Option<Vec<T>> {
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

/// A block of lines read at once: where it starts in its segment, its bytes (or
/// why not), and the index in [`Located`] of the first event past it.
type Block = (u64, Result<Vec<u8>, (io::ErrorKind, String)>, usize);

/// The records of a [`Located`], read in order.
pub struct Reading<'a> {
    events: &'a [Place],
    lines: Option<&'a Lines>,
    at: usize,
    block: Option<Block>,
    /// The segments were listed again during this reading (once is enough).
    refreshed: bool,
}

impl Reading<'_> {
    /// Reads the run of lines that follow each other in one segment from event
    /// `at` on, up to a block.
    fn read_block(&self, at: usize, first: Line) -> Block {
        let Some(lines) = self.lines else {
            return (
                first.offset,
                Err((
                    io::ErrorKind::NotFound,
                    "the event's file is gone".to_owned(),
                )),
                at + 1,
            );
        };
        let events = self.events;
        let id = events[at].id;
        let segment = lines.segment_of(id).ok().map(|(index, _)| index);
        let start = first.offset;
        let mut end = first.offset + u64::from(first.len);
        let mut run = at + 1;
        while let Some(Place {
            id: next_id,
            stored: Stored::Line(next),
            ..
        }) = events.get(run)
        {
            let next_end = next.offset + u64::from(next.len);
            if next.offset < end
                || next.offset > end + 1
                || next_end - start > READ_BLOCK
                || lines.segment_of(*next_id).ok().map(|(index, _)| index) != segment
            {
                break;
            }
            end = next_end;
            run += 1;
        }
        let block = Line {
            offset: start,
            len: u32::try_from(end - start).unwrap_or(u32::MAX),
        };
        let bytes = lines
            .bytes(id, block)
            .map_err(|err| (err.kind(), err.to_string()));
        (start, bytes, run)
    }

    /// The record of event `at` from the block read.
    fn record_in_block(&self, at: usize, line: Line) -> io::Result<Record> {
        match &self.block {
            Some((start, Ok(bytes), _)) => {
                let from = (line.offset - start) as usize;
                let record = parse(&bytes[from..from + line.len as usize])?;
                if record.id == self.events[at].id {
                    Ok(record)
                } else {
                    Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "its line in the file now holds record {} (the file changed under the window)",
                            record.id
                        ),
                    ))
                }
            }
            Some((_, Err((kind, text)), _)) => Err(io::Error::new(*kind, text.clone())),
            None => Err(io::Error::other("unreachable: no block")),
        }
    }
}

impl Iterator for Reading<'_> {
    type Item = (u64, io::Result<Record>);

    fn next(&mut self) -> Option<Self::Item> {
        let at = self.at;
        let place = self.events.get(at)?;
        self.at += 1;
        let line = match &place.stored {
            Stored::Held(record) => return Some((place.seq, Ok(Record::clone(record)))),
            Stored::Line(line) => *line,
        };
        if self.block.as_ref().is_none_or(|(_, _, end)| at >= *end) {
            self.block = Some(self.read_block(at, line));
        }
        let mut record = self.record_in_block(at, line);
        // The journal may have started a new segment, or deleted old ones, since
        // the segments were listed: list them again and read once more.
        if record.is_err()
            && !self.refreshed
            && let Some(lines) = self.lines
        {
            self.refreshed = true;
            if let Err(err) = lines.refresh() {
                return Some((place.seq, Err(err)));
            }
            self.block = Some(self.read_block(at, line));
            record = self.record_in_block(at, line);
        }
        Some((place.seq, record))
    }
}
