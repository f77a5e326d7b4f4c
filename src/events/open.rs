//! Reading a capture file into a [`Store`]: a journal on every core through the
//! one line reader ([`crate::ndjson`]), keeping only where each line is; a JSON
//! array or a HAR file held in memory.

use std::io;
use std::path::Path;
use std::sync::atomic::Ordering;

use super::{Ingested, Ingester, Lines, Progress, Store};
use crate::ndjson::{Layout, Problem};
use crate::token::{Analyze as _, Verifier};

/// A capture file read into a store.
#[derive(Debug)]
pub struct Opened {
    pub store: Store,
    /// How many records the file holds (the store keeps the newest `max`).
    pub records: usize,
    /// One line per skipped line or entry, naming it.
    pub problems: Vec<String>,
}

/// One worker's share of a journal: its events, and its lines that were not records.
struct Chunk {
    events: Vec<Ingested>,
    lines: usize,
    /// Line number within the chunk (from 0), and why it is no record.
    problems: Vec<(usize, Problem)>,
}

/// Reads a capture file into a store of at most `max` events, checking each with
/// `verifier` and reporting bytes read to `progress` (its total is the file's
/// size). A journal (NDJSON) is read by as many threads as there are cores, and
/// its events keep only where their lines are; a JSON array or a HAR file is held
/// in memory.
pub fn open(
    path: &Path,
    max: usize,
    verifier: &Verifier,
    progress: &Progress,
) -> io::Result<Opened> {
    let lines = Lines::open(path)?;
    let len = lines.file.metadata()?.len();
    progress.total.store(len, Ordering::Relaxed);
    let mut head = [0u8; 512];
    let n = io::Read::read(&mut &lines.file, &mut head)?;
    let mut store = Store::new(max);
    if crate::ndjson::layout(&head[..n]) != Layout::Lines {
        let loaded = crate::export::load(path)?;
        let records = loaded.records.len();
        let now = crate::token::unix_now();
        for record in loaded.records.into_iter().skip(records.saturating_sub(max)) {
            store.push(record, verifier, now);
        }
        store.evicted = records.saturating_sub(max) as u64;
        progress.add(len);
        return Ok(Opened {
            store,
            records,
            problems: loaded.problems,
        });
    }
    let bounds = crate::ndjson::split(&lines.file, len, crate::ndjson::readers())?;
    let chunks: Vec<io::Result<Chunk>> = std::thread::scope(|scope| {
        let handles: Vec<_> = bounds
            .windows(2)
            .map(|range| {
                let (start, end) = (range[0], range[1]);
                let lines = &lines;
                scope.spawn(move || read_chunk(lines, start, end, verifier, progress))
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| Err(io::Error::other("a reading thread panicked")))
            })
            .collect()
    });
    let chunks = chunks.into_iter().collect::<io::Result<Vec<Chunk>>>()?;
    let records: usize = chunks.iter().map(|c| c.events.len()).sum();
    let mut problems = Vec::new();
    let mut line_base = 0;
    let mut skip = records.saturating_sub(max);
    store.evicted = skip as u64;
    // Sized once: growing by doubling would hold two copies at the peak.
    let kept = records - skip;
    store.reserve(kept);
    for chunk in chunks {
        for (line, problem) in &chunk.problems {
            problems.push(problem.describe(line_base + line + 1));
        }
        line_base += chunk.lines;
        for ingested in chunk.events {
            if skip > 0 {
                // Left out for `max`, its shape still counts for its kind.
                skip -= 1;
                store.count_shape(&ingested);
                continue;
            }
            store.push_ingested(ingested);
        }
    }
    store.set_lines(Some(lines));
    Ok(Opened {
        store,
        records,
        problems,
    })
}

/// Reads the lines in `start..end` of the file into events.
fn read_chunk(
    lines: &Lines,
    start: u64,
    end: u64,
    verifier: &Verifier,
    progress: &Progress,
) -> io::Result<Chunk> {
    let mut reader = crate::ndjson::range(&lines.path, start, end)?;
    let mut ingester = Ingester::default();
    let mut chunk = Chunk {
        events: Vec::new(),
        lines: 0,
        problems: Vec::new(),
    };
    let now = crate::token::unix_now();
    let mut reported = start;
    while let Some(entry) = reader.next() {
        let entry = entry?;
        // Bytes read so far, told a megabyte at a time.
        if reader.offset() - reported >= 1 << 20 {
            progress.add(reader.offset() - reported);
            reported = reader.offset();
            if progress.stopped() {
                return Err(io::Error::new(io::ErrorKind::Interrupted, "stopped"));
            }
        }
        match entry.record {
            Ok(record) => {
                let analysis = record.analysis(verifier, now);
                chunk
                    .events
                    .push(ingester.ingest(record, entry.line, Some(analysis)));
            }
            Err(problem) => chunk.problems.push((entry.index, problem)),
        }
    }
    chunk.lines = reader.seen();
    progress.add(reader.offset() - reported);
    Ok(chunk)
}
