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

/// One stretch of one segment, for a reader thread.
struct Task {
    segment: usize,
    start: u64,
    end: u64,
}

/// Reads a capture file into a store of at most `max` events, checking each with
/// `verifier` and reporting bytes read to `progress` (its total is the file's
/// size). A journal (NDJSON) is read segment by segment, in order, by as many
/// threads as there are cores, and its events keep only where their lines are; a
/// JSON array or a HAR file is held in memory.
pub fn open(
    path: &Path,
    max: usize,
    verifier: &Verifier,
    progress: &Progress,
) -> io::Result<Opened> {
    let lines = Lines::open(path)?;
    let mut segments = Vec::new();
    for segment in crate::segments::list(path)? {
        match std::fs::File::open(&segment.path) {
            Ok(file) => {
                let len = file.metadata()?.len();
                segments.push((segment.path, file, len));
            }
            // The segment being written may be missing beside full ones.
            Err(err) if err.kind() == io::ErrorKind::NotFound && segment.first_id.is_none() => {
                if segments.is_empty() {
                    return Err(err);
                }
            }
            Err(err) => return Err(err),
        }
    }
    let len: u64 = segments.iter().map(|(_, _, len)| len).sum();
    progress.total.store(len, Ordering::Relaxed);
    let mut head = [0u8; 512];
    let n = match segments.first() {
        Some((_, file, _)) => io::Read::read(&mut &*file, &mut head)?,
        None => 0,
    };
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
    // Each segment in stretches, about one per core over the whole journal.
    let readers = crate::ndjson::readers();
    let mut tasks = Vec::new();
    for (index, (_, file, size)) in segments.iter().enumerate() {
        let parts = (readers as u64 * size).div_ceil(len.max(1)).max(1) as usize;
        let bounds = crate::ndjson::split(file, *size, parts)?;
        tasks.extend(bounds.windows(2).map(|range| Task {
            segment: index,
            start: range[0],
            end: range[1],
        }));
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done: Vec<std::sync::Mutex<Option<io::Result<Chunk>>>> =
        tasks.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..readers.min(tasks.len()) {
            scope.spawn(|| {
                loop {
                    let at = next.fetch_add(1, Ordering::Relaxed);
                    let Some(task) = tasks.get(at) else { break };
                    let path = &segments[task.segment].0;
                    let chunk = read_chunk(path, task.start, task.end, verifier, progress);
                    if let Ok(mut slot) = done[at].lock() {
                        *slot = Some(chunk);
                    }
                }
            });
        }
    });
    let mut chunks = Vec::with_capacity(tasks.len());
    for slot in done {
        let chunk = slot
            .into_inner()
            .ok()
            .flatten()
            .unwrap_or_else(|| Err(io::Error::other("a reading thread panicked")));
        chunks.push(chunk?);
    }
    let records: usize = chunks.iter().map(|c| c.events.len()).sum();
    let mut problems = Vec::new();
    let mut line_base = 0;
    let mut skip = records.saturating_sub(max);
    store.evicted = skip as u64;
    // Sized once: growing by doubling would hold two copies at the peak.
    let kept = records - skip;
    store.reserve(kept);
    let named = segments.len() > 1;
    for (task, chunk) in tasks.iter().zip(chunks) {
        if task.start == 0 {
            line_base = 0;
        }
        for (line, problem) in &chunk.problems {
            let said = problem.describe(line_base + line + 1);
            problems.push(match named {
                true => format!("{}: {said}", segments[task.segment].0.display()),
                false => said,
            });
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

/// Reads the lines in `start..end` of the segment at `path` into events.
fn read_chunk(
    path: &Path,
    start: u64,
    end: u64,
    verifier: &Verifier,
    progress: &Progress,
) -> io::Result<Chunk> {
    let mut reader = crate::ndjson::range(path, start, end)?;
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
