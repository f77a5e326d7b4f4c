//! The events the window holds. Per event, a compact [`Summary`] for the list (a
//! few dozen bytes and the strings a row shows) and where its record is: a line
//! of the journal or of the opened capture ([`Stored::Line`]), read by offset when
//! the event is selected, searched, exported or replayed; or the record itself
//! when it has no file ([`Stored::Held`]: a HAR or JSON array opened, a window
//! without a journal). The journal stays the store, so a million events fit in a
//! few hundred megabytes.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::File;
use std::io;
use std::num::NonZeroU64;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::capture::journal::Line;
use crate::record::{Record, Signature, TimeState};
use crate::shapes::{EventShape, Tracker};
use crate::token::{Analysis, Verifier};
use crate::truora;
use crate::truora::Product;

/// What one list row shows, worked out once per verification.
#[derive(Debug, Clone)]
pub struct Summary {
    /// When it arrived, unix milliseconds.
    pub received_ms: i64,
    /// The record's id, and the id it replays.
    pub id: u64,
    pub replay_of: Option<NonZeroU64>,
    /// The body's size in bytes.
    pub size: u32,
    /// What the sender got.
    pub status: u16,
    /// What the user's app answered, when forwarding (`None`: no answer, or not forwarded).
    pub app_status: Option<u16>,
    /// Whether forwarding was tried (then `app_status` `None` means the app did not answer).
    pub forwarded: bool,
    pub signature: Signature,
    pub product: Product,
    /// `exp`/`nbf` state of the token.
    pub time_state: TimeState,
    /// Shared between the events that have the same one.
    pub method: Arc<str>,
    pub path: Arc<str>,
    /// Product and action in words, e.g. "Check · finished (+1)".
    pub label: Arc<str>,
    pub subject: Box<str>,
    /// A hash of the first event's id (for counting its deliveries).
    pub event_key: Option<u64>,
    /// How the first event's shape differed from the earlier ones of its kind.
    pub shape_change: Option<Arc<crate::shapes::Change>>,
}

/// A file of record lines (a journal, or a capture opened), read by offset.
#[derive(Debug)]
pub struct Lines {
    file: File,
    path: PathBuf,
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
        read_at(&self.file, &mut bytes, line.offset)?;
        Ok(bytes)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
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

/// A record line, parsed.
fn parse(bytes: &[u8]) -> io::Result<Record> {
    sonic_rs::from_slice(bytes).map_err(|err| {
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

/// One event worked out for the store, off the UI thread: its row, where its
/// record is, and its first event's shape.
#[derive(Debug)]
pub struct Ingested {
    pub summary: Summary,
    pub stored: Stored,
    pub shape: Option<EventShape>,
}

/// Works records out into [`Ingested`] events. It shares the strings that repeat
/// (methods, paths, labels) between the events that have them.
#[derive(Debug, Default)]
pub struct Ingester {
    strings: HashSet<Arc<str>>,
    /// The shapes sent with their paths: the store they go to knows them after
    /// that, so later events of the same shape go without (freeing the paths
    /// would cost the UI thread more than filing the event).
    /// Each by a hash of its kind and fingerprint.
    shapes_sent: HashSet<u64>,
}

/// Strings the ingester remembers at most; past that it starts again (the events
/// keep theirs), so a flood of unique paths costs no more than unshared strings.
const SHARED_STRINGS: usize = 4096;

impl Ingester {
    fn share(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.strings.get(text) {
            return shared.clone();
        }
        if self.strings.len() >= SHARED_STRINGS {
            self.strings.clear();
        }
        let shared: Arc<str> = Arc::from(text);
        self.strings.insert(shared.clone());
        shared
    }

    /// The store started afresh: the next event of each shape carries its paths.
    pub fn forget_shapes(&mut self) {
        self.shapes_sent.clear();
    }

    /// Works `record` out. `analysis`: its token checked with the window's secrets;
    /// `None` takes the record's own (the listener checked it with the same
    /// secrets as it captured it). `line`: where it lies in the store's file;
    /// `None` keeps the record in memory.
    pub fn ingest(
        &mut self,
        record: Record,
        line: Option<Line>,
        analysis: Option<Analysis>,
    ) -> Ingested {
        let size = record.body_len();
        self.ingest_sized(record, size, line, analysis)
    }

    /// Like [`Ingester::ingest`] for a record whose body may have been dropped
    /// ([`lighten`]): `size` is the body's size.
    pub fn ingest_sized(
        &mut self,
        mut record: Record,
        size: usize,
        line: Option<Line>,
        analysis: Option<Analysis>,
    ) -> Ingested {
        let analysis = analysis.unwrap_or_else(|| Analysis {
            token: record.token.take(),
            verification: std::mem::replace(
                &mut record.verification,
                crate::record::Verification::not_jwt(""),
            ),
            events: std::mem::take(&mut record.events),
        });
        let summary = self.summary(&record, size, &analysis);
        let claims = analysis.token.as_ref().and_then(|t| t.claims.as_ref());
        let sent = &mut self.shapes_sent;
        let shape = EventShape::of_first(claims, &analysis.events, |kind, fingerprint| {
            sent.insert(crate::shapes::hash_of(&(kind, fingerprint)))
        });
        let stored = match line {
            Some(line) => Stored::Line(line),
            None => Stored::Held(Arc::new(strip(record))),
        };
        Ingested {
            summary,
            stored,
            shape,
        }
    }

    /// The row of `record` (whose body has `size` bytes) as `analysis` sees it.
    pub fn summary(&mut self, record: &Record, size: usize, analysis: &Analysis) -> Summary {
        let first = analysis.events.first();
        let product = first.map_or(Product::Other, |e| Product::from_name(&e.product));
        let label = match first {
            Some(event) => {
                let mut label = truora::describe(product.as_str(), event.action.as_deref());
                if analysis.events.len() > 1 {
                    label.push_str(&format!(" (+{})", analysis.events.len() - 1));
                }
                label
            }
            None => String::new(),
        };
        Summary {
            received_ms: crate::record::millis(&record.received_at).unwrap_or(0),
            id: record.id,
            replay_of: record.replay_of.and_then(NonZeroU64::new),
            size: u32::try_from(size).unwrap_or(u32::MAX),
            status: record.response.status,
            app_status: record.response.forwarded.as_ref().and_then(|f| f.status),
            forwarded: record.response.forwarded.is_some(),
            signature: analysis.verification.signature,
            product,
            time_state: analysis.verification.time,
            method: self.share(&record.method),
            path: self.share(&record.path),
            label: self.share(&label),
            subject: first
                .and_then(|e| e.subject.as_deref())
                .unwrap_or_default()
                .into(),
            event_key: first
                .and_then(|e| e.id.as_deref())
                .map(crate::shapes::hash_of),
            shape_change: None,
        }
    }
}

/// True when `hay` holds `needle` (lowercased), ignoring case.
fn holds(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if hay.is_ascii() {
        let needle = needle.as_bytes();
        return hay.len() >= needle.len()
            && hay
                .as_bytes()
                .windows(needle.len())
                .any(|window| window.eq_ignore_ascii_case(needle));
    }
    hay.to_lowercase().contains(needle)
}

/// The list filters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub text: String,
    pub signature: Option<Signature>,
    pub product: Option<Product>,
    /// Only the requests whose sender got no 2xx (a failed delivery, as Truora counts it).
    pub failed_only: bool,
    /// Only tokens whose `exp`/`nbf` say they are not current (expired, not yet
    /// valid, not numbers).
    pub time_problem: bool,
}

impl Filter {
    /// Everything but the text.
    fn admits(&self, summary: &Summary) -> bool {
        self.signature.is_none_or(|s| s == summary.signature)
            && (!self.time_problem || summary.time_state.is_problem())
            && self.product.is_none_or(|p| p == summary.product)
            && (!self.failed_only || !crate::health::is_success(summary.status))
    }

    /// True when any filter is set.
    pub fn is_active(&self) -> bool {
        !self.text.trim().is_empty()
            || self.signature.is_some()
            || self.product.is_some()
            || self.failed_only
            || self.time_problem
    }
}

/// True when the row shows `needle` (lowercased): what the filter finds at once;
/// the rest of the record is searched on a job.
fn row_holds(summary: &Summary, needle: &str) -> bool {
    needle.is_empty()
        || holds(&summary.path, needle)
        || holds(&summary.label, needle)
        || holds(&summary.subject, needle)
        || holds(&summary.method, needle)
        || holds(summary.signature.label(), needle)
}

/// Progress of work over the held events on a job, shared with the window.
#[derive(Debug, Default)]
pub struct Progress {
    pub done: AtomicU64,
    pub total: AtomicU64,
    /// Asked to stop: newer work replaces it.
    pub stop: AtomicBool,
}

impl Progress {
    /// Progress over `total` steps.
    pub fn new(total: u64) -> Arc<Progress> {
        let progress = Progress::default();
        progress.total.store(total, Ordering::Relaxed);
        Arc::new(progress)
    }

    /// Done and total, as they are now.
    pub fn get(&self) -> (u64, u64) {
        (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }

    /// Counts `n` more steps done.
    pub fn add(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }

    /// True once newer work replaced this.
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// The records of some held events, for a job to read: where each is, and the
/// file its lines are in.
#[derive(Debug, Default)]
pub struct Located {
    lines: Option<Arc<Lines>>,
    events: Vec<(u64, Stored)>,
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
        let threads = readers().min(self.events.len() / 256 + 1);
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

/// How many threads read a journal at once: one per core, at most 16.
fn readers() -> usize {
    crate::capture::default_workers().min(16)
}

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

/// The held events, oldest first, at most `max` of them.
#[derive(Debug)]
pub struct Store {
    entries: VecDeque<Entry>,
    /// The file the events' lines are in.
    lines: Option<Arc<Lines>>,
    next_seq: u64,
    max: usize,
    /// Events that left memory for `max` (still in the journal).
    pub evicted: u64,
    filter: Filter,
    needle: String,
    /// Events whose body, headers or claims hold the needle (a search of their
    /// whole text, which the summary does not keep).
    deep: HashSet<u64>,
    /// Events from this seq on have not been searched for the needle yet.
    searched_to: u64,
    /// Seqs of the entries the filter lets through, ascending.
    visible: VecDeque<u64>,
    counts: [usize; Signature::ALL.len()],
    /// Re-verification after a secret change, while it runs on a job and until its
    /// verdicts are taken in.
    reverify: Option<Arc<Progress>>,
    /// The verdicts of a finished re-verification, taken in a slice per frame.
    verdicts: Option<std::vec::IntoIter<(u64, Signature, TimeState)>>,
    /// Held events per event id (by [`hash_of`](crate::shapes::hash_of)).
    deliveries: HashMap<u64, u32>,
    /// The shape seen so far of each kind of event (`type`, `action`).
    shapes: Tracker,
    /// For [`Store::push`].
    ingester: Ingester,
}

fn signature_index(signature: Signature) -> usize {
    Signature::ALL
        .iter()
        .position(|s| *s == signature)
        .unwrap_or_default()
}

/// True when `needle` (lowercased) is in the record's body, header names and
/// values, remote address or decoded claims.
pub fn full_text_contains(
    record: &Record,
    analysis: &crate::token::Analysis,
    needle: &str,
) -> bool {
    let contains = |text: &str| holds(text, needle);
    record.body.as_deref().is_some_and(contains)
        || contains(&record.remote_addr)
        || record
            .headers
            .iter()
            .any(|(name, value)| contains(name) || contains(value))
        || analysis
            .token
            .as_ref()
            .and_then(|t| t.claims.as_ref())
            .is_some_and(|claims| contains(&claims.to_string()))
}

/// Drops what a journaled record's row and shape do not need (its body, headers,
/// the raw token and its header, the verdict's words, the replies' bodies), so the
/// thread that made them frees them and the trip to the ingest job is light.
/// Returns the body's size. The record stays whole in the journal.
pub fn lighten(record: &mut Record) -> usize {
    let size = record.body_len();
    record.body = None;
    record.body_base64 = None;
    record.headers = Vec::new();
    if let Some(token) = &mut record.token {
        token.raw = String::new();
        token.header = serde_json::Value::Null;
    }
    record.verification.detail = String::new();
    record.verification.hints = Vec::new();
    record.response.body = None;
    if let Some(forwarded) = &mut record.response.forwarded {
        forwarded.body = None;
        forwarded.error = None;
    }
    size
}

/// A record without its decoded parts, which are derived again when needed.
pub fn strip(mut record: Record) -> Record {
    record.token = None;
    record.events = Vec::new();
    record.verification.detail = String::new();
    record.verification.hints = Vec::new();
    record
}

impl Store {
    /// An empty store holding at most `max` events.
    pub fn new(max: usize) -> Self {
        Store {
            entries: VecDeque::new(),
            lines: None,
            next_seq: 0,
            max: max.max(1),
            evicted: 0,
            deliveries: HashMap::new(),
            shapes: Tracker::default(),
            filter: Filter::default(),
            needle: String::new(),
            deep: HashSet::new(),
            searched_to: 0,
            visible: VecDeque::new(),
            counts: [0; Signature::ALL.len()],
            reverify: None,
            verdicts: None,
            ingester: Ingester::default(),
        }
    }

    /// The file the events' lines are read from (`None`: records are held).
    pub fn set_lines(&mut self, lines: Option<Arc<Lines>>) {
        self.lines = lines;
    }

    /// The file the events' lines are read from.
    pub fn lines(&self) -> Option<&Arc<Lines>> {
        self.lines.as_ref()
    }

    /// Adds a record checked with `verifier`, held in memory (or on `line` of the
    /// store's file); evicts the oldest beyond `max`. The window takes events in
    /// through [`Ingester`] off the UI thread and [`Store::push_ingested`].
    pub fn push(&mut self, record: Record, verifier: &Verifier, now: i64) -> u64 {
        let analysis = record.analysis(verifier, now);
        let ingested = self.ingester.ingest(record, None, Some(analysis));
        self.push_ingested(ingested)
    }

    /// Adds an event worked out by an [`Ingester`]; evicts the oldest beyond `max`.
    pub fn push_ingested(&mut self, ingested: Ingested) -> u64 {
        let Ingested {
            mut summary,
            stored,
            shape,
        } = ingested;
        if let Some(shape) = &shape {
            summary.shape_change = self.shapes.add(summary.id, shape).map(Arc::new);
        }
        if let Some(key) = summary.event_key {
            *self.deliveries.entry(key).or_default() += 1;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.counts[signature_index(summary.signature)] += 1;
        if self.filter.admits(&summary) && row_holds(&summary, &self.needle) {
            self.visible.push_back(seq);
        }
        self.entries.push_back(Entry {
            seq,
            stored,
            summary,
        });
        while self.entries.len() > self.max {
            if let Some(old) = self.entries.pop_front() {
                self.counts[signature_index(old.summary.signature)] -= 1;
                if let Some(key) = old.summary.event_key
                    && let Some(n) = self.deliveries.get_mut(&key)
                {
                    *n -= 1;
                    if *n == 0 {
                        self.deliveries.remove(&key);
                    }
                }
                self.deep.remove(&old.seq);
                self.evicted += 1;
                if self.visible.front() == Some(&old.seq) {
                    self.visible.pop_front();
                }
            }
        }
        seq
    }

    /// Changes whenever an event arrives or leaves, or the filter changes what shows.
    pub fn stamp(&self) -> (u64, usize, usize) {
        (self.next_seq, self.entries.len(), self.visible.len())
    }

    /// How many held events carry the event id with this [`hash_of`](crate::shapes::hash_of) (more than
    /// 1: a retry or duplicate).
    pub fn deliveries(&self, key: u64) -> u32 {
        self.deliveries.get(&key).copied().unwrap_or(0)
    }

    /// Forgets every event.
    pub fn clear(&mut self) {
        self.deliveries.clear();
        self.shapes = Tracker::default();
        self.ingester.forget_shapes();
        self.entries.clear();
        self.visible.clear();
        self.deep.clear();
        self.searched_to = self.next_seq;
        self.counts = [0; Signature::ALL.len()];
        self.evicted = 0;
        self.stop_reverify();
    }

    /// The most events held.
    pub fn max(&self) -> usize {
        self.max
    }

    /// How many events are held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no event is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The held events, oldest first.
    pub fn entries(&self) -> impl ExactSizeIterator<Item = &Entry> + DoubleEndedIterator {
        self.entries.iter()
    }

    /// The event with `seq`, if still held.
    pub fn get(&self, seq: u64) -> Option<&Entry> {
        let first = self.entries.front()?.seq;
        self.entries.get(seq.checked_sub(first)? as usize)
    }

    /// The record of the event `seq`, read from its line or cloned from memory,
    /// without its decoded parts. One line is a few kilobytes read by offset.
    pub fn record(&self, seq: u64) -> Result<Record, String> {
        let entry = self
            .get(seq)
            .ok_or_else(|| "that event is no longer held".to_owned())?;
        let located = self.locate([seq]);
        let (_, record) = located
            .iter()
            .next()
            .ok_or_else(|| "that event is no longer held".to_owned())?;
        record.map_err(|err| format!("could not read event {}: {err}", entry.summary.id))
    }

    /// Where the records of `seqs` are, for a job to read.
    pub fn locate(&self, seqs: impl IntoIterator<Item = u64>) -> Located {
        Located {
            lines: self.lines.clone(),
            events: seqs
                .into_iter()
                .filter_map(|seq| self.get(seq))
                .map(|e| (e.seq, e.stored.clone()))
                .collect(),
        }
    }

    /// Where the records of every held event are.
    pub fn locate_all(&self) -> Located {
        self.locate(self.entries.iter().map(|e| e.seq))
    }

    /// Where the records of the shown events are.
    pub fn locate_visible(&self) -> Located {
        self.locate(self.visible.iter().copied())
    }

    /// Seqs the filter lets through, oldest first.
    pub fn visible(&self) -> &VecDeque<u64> {
        &self.visible
    }

    /// How many held events have `signature`.
    pub fn count(&self, signature: Signature) -> usize {
        self.counts[signature_index(signature)]
    }

    /// The filter in force.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// Sets the filter and recomputes the visible list.
    pub fn set_filter(&mut self, filter: Filter) {
        let needle = filter.text.trim().to_lowercase();
        if needle != self.needle {
            self.deep.clear();
            self.searched_to = 0;
        }
        self.needle = needle;
        self.filter = filter;
        self.refilter();
    }

    fn refilter(&mut self) {
        let (filter, needle, deep) = (&self.filter, &self.needle, &self.deep);
        self.visible = self
            .entries
            .iter()
            .filter(|e| {
                filter.admits(&e.summary)
                    && (deep.contains(&e.seq) || row_holds(&e.summary, needle))
            })
            .map(|e| e.seq)
            .collect();
    }

    /// The text the filter searches, lowercased (empty: none).
    pub fn needle(&self) -> &str {
        &self.needle
    }

    /// The events not searched for the needle yet whose rows do not show it: what a
    /// full-text search reads next. Counts them as searched.
    pub fn take_unsearched(&mut self) -> Option<Located> {
        if self.needle.is_empty() || self.searched_to >= self.next_seq {
            return None;
        }
        let from = self.searched_to;
        self.searched_to = self.next_seq;
        let needle = &self.needle;
        let seqs: Vec<u64> = self
            .entries
            .iter()
            .filter(|e| e.seq >= from && !row_holds(&e.summary, needle))
            .map(|e| e.seq)
            .collect();
        Some(self.locate(seqs))
    }

    /// The events a full-text search for `needle` found; ignored when the filter
    /// has moved on to another text.
    pub fn add_found(&mut self, needle: &str, seqs: Vec<u64>) {
        if needle != self.needle || seqs.is_empty() {
            return;
        }
        self.deep.extend(seqs);
        self.refilter();
    }

    /// Starts re-verification (after a secret change): what a job reads, and the
    /// progress it reports. An earlier one still running is stopped.
    pub fn start_reverify(&mut self) -> (Located, Arc<Progress>) {
        self.stop_reverify();
        // Newest first: those are the rows on screen.
        let located = self.locate(self.entries.iter().rev().map(|e| e.seq));
        let progress = Progress::new(located.len() as u64);
        self.reverify = Some(progress.clone());
        (located, progress)
    }

    fn stop_reverify(&mut self) {
        if let Some(old) = self.reverify.take() {
            old.stop.store(true, Ordering::Relaxed);
        }
        self.verdicts = None;
    }

    /// Done and total while re-verification runs.
    pub fn reverifying(&self) -> Option<(usize, usize)> {
        self.reverify.as_ref().map(|progress| {
            let (done, total) = progress.get();
            (done as usize, total as usize)
        })
    }

    /// The verdicts a re-verification worked out (the seq of each event, its
    /// signature and time state), if it is the one in progress: they are taken in
    /// by [`Store::take_verdicts`], a slice per frame.
    pub fn reverified(
        &mut self,
        progress: &Arc<Progress>,
        verdicts: Vec<(u64, Signature, TimeState)>,
    ) {
        if self
            .reverify
            .as_ref()
            .is_some_and(|current| Arc::ptr_eq(current, progress))
        {
            self.verdicts = Some(verdicts.into_iter());
        }
    }

    /// Takes in waiting verdicts until `budget` runs out; true when none are left
    /// (re-verification is then over).
    pub fn take_verdicts(&mut self, budget: std::time::Duration) -> bool {
        let Some(verdicts) = &mut self.verdicts else {
            return true;
        };
        let started = std::time::Instant::now();
        let first = self.entries.front().map_or(0, |e| e.seq);
        let mut left = true;
        while left {
            for _ in 0..4096 {
                let Some((seq, signature, time_state)) = verdicts.next() else {
                    left = false;
                    break;
                };
                let Some(entry) = seq
                    .checked_sub(first)
                    .and_then(|at| self.entries.get_mut(at as usize))
                else {
                    continue;
                };
                self.counts[signature_index(entry.summary.signature)] -= 1;
                self.counts[signature_index(signature)] += 1;
                entry.summary.signature = signature;
                entry.summary.time_state = time_state;
            }
            if started.elapsed() >= budget {
                break;
            }
        }
        if left {
            return false;
        }
        self.verdicts = None;
        self.reverify = None;
        // Only the verdict and the time state changed: the list changes only when
        // the filter looks at them.
        if self.filter.signature.is_some() || self.filter.time_problem {
            self.refilter();
        }
        true
    }
}

/// Re-verifies the records of `located` with `verifier`, reporting to `progress`;
/// `None` when newer work stopped it. A record that cannot be read keeps its verdict.
pub fn reverify(
    located: &Located,
    verifier: &Verifier,
    progress: &Progress,
) -> Option<Vec<(u64, Signature, TimeState)>> {
    let now = crate::token::unix_now();
    located.par_filter_map(progress, |seq, record| {
        let verification = record.analysis(verifier, now).verification;
        Some((seq, verification.signature, verification.time))
    })
}

/// The events of `located` whose body, headers, address or claims hold `needle`.
pub fn search(
    located: &Located,
    verifier: &Verifier,
    needle: &str,
    progress: &Progress,
) -> Vec<u64> {
    let now = crate::token::unix_now();
    located
        .par_filter_map(progress, |seq, record| {
            let analysis = record.analysis(verifier, now);
            full_text_contains(&record, &analysis, needle).then_some(seq)
        })
        .unwrap_or_default()
}

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
    /// Line number within the chunk (from 0), and why it is no record (`None`:
    /// cut short, the file's torn last line).
    problems: Vec<(usize, Option<String>)>,
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
    if crate::export::layout(&head[..n]) != crate::export::Layout::Lines {
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
    let bounds = chunk_bounds(&lines.file, len, readers())?;
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
    store.entries.reserve_exact(kept);
    store.visible.reserve_exact(kept);
    store.deliveries.reserve(kept);
    for chunk in chunks {
        for (line, problem) in &chunk.problems {
            let error = problem.as_ref().map(|p| p as &dyn std::fmt::Display);
            problems.push(crate::export::line_problem(line_base + line + 1, error));
        }
        line_base += chunk.lines;
        for ingested in chunk.events {
            if skip > 0 {
                // Left out for `max`, its shape still counts for its kind.
                skip -= 1;
                if let Some(shape) = &ingested.shape {
                    store.shapes.add(ingested.summary.id, shape);
                }
                continue;
            }
            store.push_ingested(ingested);
        }
    }
    store.lines = Some(lines);
    Ok(Opened {
        store,
        records,
        problems,
    })
}

/// Where each of `workers` chunks of the file starts (each at a line's start), and its end.
fn chunk_bounds(file: &File, len: u64, workers: usize) -> io::Result<Vec<u64>> {
    let mut bounds = vec![0];
    for k in 1..workers as u64 {
        let guess = len * k / workers as u64;
        let from = (*bounds.last().unwrap_or(&0)).max(guess);
        // The line that starts after `from - 1`: find the next newline.
        let mut at = from.saturating_sub(1);
        let mut buf = [0u8; 4096];
        let start = loop {
            if at >= len {
                break len;
            }
            let n = (len - at).min(buf.len() as u64) as usize;
            read_at(file, &mut buf[..n], at)?;
            match buf[..n].iter().position(|b| *b == b'\n') {
                Some(i) => break at + i as u64 + 1,
                None => at += n as u64,
            }
        };
        if start > *bounds.last().unwrap_or(&0) && start < len {
            bounds.push(start);
        }
    }
    bounds.push(len);
    Ok(bounds)
}

/// Reads the lines in `start..end` of the file into events.
fn read_chunk(
    lines: &Lines,
    start: u64,
    end: u64,
    verifier: &Verifier,
    progress: &Progress,
) -> io::Result<Chunk> {
    use std::io::{BufRead, Read, Seek};
    // A handle of its own: a clone would share the file offset with the others.
    let mut file = File::open(&lines.path)?;
    file.seek(io::SeekFrom::Start(start))?;
    let mut reader = io::BufReader::with_capacity(1 << 20, file.take(end - start));
    let mut ingester = Ingester::default();
    let mut chunk = Chunk {
        events: Vec::new(),
        lines: 0,
        problems: Vec::new(),
    };
    let now = crate::token::unix_now();
    let mut offset = start;
    let mut buf = Vec::with_capacity(8192);
    let mut unreported = 0u64;
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        let line_at = offset;
        offset += n as u64;
        unreported += n as u64;
        if unreported >= 1 << 20 {
            progress.add(std::mem::take(&mut unreported));
            if progress.stopped() {
                return Err(io::Error::new(io::ErrorKind::Interrupted, "stopped"));
            }
        }
        let index = chunk.lines;
        chunk.lines += 1;
        let text = buf.strip_suffix(b"\n").unwrap_or(&buf);
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let record: Record = match sonic_rs::from_slice(text) {
            Ok(record) => record,
            Err(err) => {
                // A last line without its newline that ends early: a torn write.
                let torn = !buf.ends_with(b"\n") && err.is_eof();
                chunk
                    .problems
                    .push((index, (!torn).then(|| err.to_string())));
                continue;
            }
        };
        let analysis = record.analysis(verifier, now);
        let line = u32::try_from(text.len()).ok().map(|len| Line {
            offset: line_at,
            len,
        });
        chunk
            .events
            .push(ingester.ingest(record, line, Some(analysis)));
    }
    progress.add(unreported);
    Ok(chunk)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::{Secret, SecretEncoding};

    #[test]
    fn reverification_starts_with_the_newest_events() {
        let secret = "0123456789abcdef0123456789abcdef";
        let token = crate::send::sign(
            &serde_json::json!({"iss": "Truora"}),
            secret.as_bytes(),
            jsonwebtoken::Algorithm::HS256,
        )
        .unwrap();
        let mut store = Store::new(1000);
        for i in 0..200 {
            store.push(record(&token, &format!("/p{i}")), &Verifier::default(), 0);
        }
        let verifier = Verifier::new(vec![Secret::new(secret, SecretEncoding::Utf8, 0).unwrap()]);
        let (located, progress) = store.start_reverify();
        assert_eq!(located.iter().next().unwrap().0, 199, "the newest first");
        assert_eq!(store.reverifying(), Some((0, 200)));
        let verdicts = reverify(&located, &verifier, &progress).unwrap();
        assert_eq!(store.reverifying(), Some((200, 200)));
        store.reverified(&progress, verdicts);
        // Taken in a slice at a time: one slice with no time to spare does 4,096.
        while !store.take_verdicts(std::time::Duration::ZERO) {}
        assert_eq!(store.reverifying(), None);
        assert_eq!(store.get(0).unwrap().summary.signature, Signature::Valid);
        assert_eq!(store.count(Signature::Valid), 200);
    }

    #[test]
    fn a_lightened_record_gives_the_same_row_and_shape() {
        let secret = "light-secret-light-secret-light-0000";
        let claims = crate::samples::claims("check", None, 1_800_000_000, 7).unwrap();
        let token =
            crate::send::sign(&claims, secret.as_bytes(), jsonwebtoken::Algorithm::HS256).unwrap();
        let verifier = Verifier::new(vec![Secret::new(secret, SecretEncoding::Utf8, 0).unwrap()]);
        let mut full = record(&token, "/hooks/light");
        full.analyze(&verifier, 1_800_000_000);
        let mut light = full.clone();
        let size = lighten(&mut light);
        assert!(light.body.is_none() && light.headers.is_empty());
        let line = Some(Line { offset: 0, len: 10 });
        let a = Ingester::default().ingest(full, line, None);
        let b = Ingester::default().ingest_sized(light, size, line, None);
        assert_eq!(format!("{:?}", a.summary), format!("{:?}", b.summary));
        assert_eq!(a.summary.size as usize, token.len());
        let (sa, sb) = (a.shape.unwrap(), b.shape.unwrap());
        assert_eq!((sa.kind, sa.fingerprint), (sb.kind, sb.fingerprint));
    }

    #[test]
    fn a_newer_reverification_stops_the_older() {
        let mut store = Store::new(10);
        store.push(record("plain", "/p"), &Verifier::default(), 0);
        let (located, older) = store.start_reverify();
        let (_, _newer) = store.start_reverify();
        assert!(reverify(&located, &Verifier::default(), &older).is_none());
        // Its verdicts, had they come, are not taken.
        store.reverified(&older, vec![(0, Signature::Valid, TimeState::Ok)]);
        assert_eq!(store.count(Signature::NotJwt), 1);
    }

    /// Writes `records` as a journal and reads it back into a store of `max`.
    fn journal_store(
        records: &[Record],
        max: usize,
        verifier: &Verifier,
    ) -> (tempfile::TempDir, Opened) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.ndjson");
        let mut text = String::new();
        for record in records {
            text.push_str(&serde_json::to_string(record).unwrap());
            text.push('\n');
        }
        std::fs::write(&path, &text).unwrap();
        let progress = Progress::default();
        let opened = open(&path, max, verifier, &progress).unwrap();
        // The progress bar ends full: every byte of the file counted once.
        assert_eq!(progress.get(), (text.len() as u64, text.len() as u64));
        (dir, opened)
    }

    #[test]
    fn a_journal_is_read_back_by_offset() {
        let secret = "journal-secret-journal-secret-000";
        let verifier = Verifier::new(vec![Secret::new(secret, SecretEncoding::Utf8, 0).unwrap()]);
        let mut records = Vec::new();
        for i in 0..500u64 {
            // Every check event twice (a retry), from every product.
            let product =
                crate::samples::PRODUCTS[(i as usize / 2) % crate::samples::PRODUCTS.len()];
            let claims = crate::samples::claims(product, None, 1_800_000_000, i / 2).unwrap();
            let token =
                crate::send::sign(&claims, secret.as_bytes(), jsonwebtoken::Algorithm::HS256)
                    .unwrap();
            let mut record = record(&token, &format!("/p{i}"));
            record.id = i + 1;
            records.push(record);
        }
        let (_dir, opened) = journal_store(&records, 300, &verifier);
        let store = opened.store;
        assert_eq!(opened.records, 500);
        assert_eq!(store.len(), 300);
        assert_eq!(store.evicted, 200);
        assert_eq!(store.count(Signature::Valid), 300);
        // The newest 300, in order, each read back whole from its line.
        let ids: Vec<u64> = store
            .locate_all()
            .iter()
            .map(|(_, r)| r.unwrap().id)
            .collect();
        assert_eq!(ids, (201..=500).collect::<Vec<_>>());
        let first = store.entries().next().unwrap().seq;
        assert_eq!(store.record(first).unwrap(), records[200]);
        assert_eq!(store.get(first).unwrap().summary.path.as_ref(), "/p200");
        // Each event arrived twice.
        let key = store.get(first).unwrap().summary.event_key.unwrap();
        assert_eq!(store.deliveries(key), 2);
        // Read on as many threads as there are cores, in file order all the same.
        let seqs: Vec<u64> = store.entries().map(|e| e.seq).collect();
        assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1));
    }

    #[test]
    fn bad_and_torn_lines_are_named_and_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.ndjson");
        let good = serde_json::to_string(&record("plain", "/ok")).unwrap();
        std::fs::write(
            &path,
            format!("{good}\nnot json\n\n{good}\n{}", &good[..40]),
        )
        .unwrap();
        let opened = open(&path, 100, &Verifier::default(), &Progress::default()).unwrap();
        assert_eq!(opened.store.len(), 2);
        assert_eq!(opened.problems.len(), 2, "{:?}", opened.problems);
        assert!(opened.problems[0].starts_with("line 2 is not a hookscope record"));
        assert_eq!(
            opened.problems[1],
            "line 5 is cut short (an interrupted write); skipped"
        );
    }

    #[test]
    fn the_text_filter_finds_rows_at_once_and_the_rest_by_search() {
        let mut store = Store::new(10);
        let mut with_header = record("plain", "/a");
        with_header
            .headers
            .push(("X-Trace".to_owned(), "Needle-42".to_owned()));
        store.push(with_header, &Verifier::default(), 0);
        store.push(record("plain", "/needle-42"), &Verifier::default(), 0);
        store.set_filter(Filter {
            text: "NEEDLE-42".to_owned(),
            ..Default::default()
        });
        assert_eq!(store.visible(), &[1], "the path is on the row");
        let located = store.take_unsearched().unwrap();
        assert_eq!(located.len(), 1, "only the event whose row lacks it");
        assert!(store.take_unsearched().is_none(), "searched once");
        let found = search(
            &located,
            &Verifier::default(),
            store.needle(),
            &Progress::default(),
        );
        store.add_found("needle-42", found);
        assert_eq!(store.visible(), &[0, 1]);
    }

    fn record(body: &str, path: &str) -> Record {
        Record::request(
            "2026-11-26T13:45:11.123Z",
            "POST",
            path,
            "127.0.0.1:1",
            vec![],
            body.as_bytes(),
        )
    }

    #[test]
    fn eviction_filter_and_reverify() {
        let secret = "store-secret-store-secret-store-secret";
        let token = crate::send::sign(
            &crate::samples::claims("check", None, 0, 1).unwrap(),
            secret.as_bytes(),
            jsonwebtoken::Algorithm::HS256,
        )
        .unwrap();
        let none = Verifier::default();
        let mut store = Store::new(3);
        for i in 0..5 {
            let body = if i % 2 == 0 { token.as_str() } else { "plain" };
            store.push(record(body, &format!("/p{i}")), &none, 0);
        }
        assert_eq!(store.len(), 3);
        assert_eq!(store.evicted, 2);
        assert_eq!(store.get(2).unwrap().summary.path.as_ref(), "/p2");
        assert!(store.get(1).is_none());
        assert_eq!(store.count(Signature::NoSecret), 2);
        assert_eq!(
            store.get(2).unwrap().summary.label.as_ref(),
            "Check · finished"
        );

        store.set_filter(Filter {
            signature: Some(Signature::Valid),
            ..Default::default()
        });
        assert!(store.visible().is_empty());
        let verifier = Verifier::new(vec![Secret::new(secret, SecretEncoding::Utf8, 0).unwrap()]);
        let (located, progress) = store.start_reverify();
        let verdicts = reverify(&located, &verifier, &progress).unwrap();
        store.reverified(&progress, verdicts);
        assert!(store.take_verdicts(std::time::Duration::MAX));
        assert_eq!(store.visible(), &[2, 4]);
        assert_eq!(store.count(Signature::Valid), 2);
        assert_eq!(store.count(Signature::NoSecret), 0);

        store.set_filter(Filter {
            text: "P3".to_owned(),
            ..Default::default()
        });
        assert_eq!(store.visible(), &[3]);
    }
}
