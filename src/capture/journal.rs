//! The append-only NDJSON journal, with group commit. A record is numbered and
//! written before its request is answered, so a sender never sees a reply for a
//! record that is not in the file. Records are serialised on the request's own
//! thread; whoever finds no write in progress becomes the leader and writes every
//! line queued so far in one `write`, releases the requests in that group, and
//! hands the lead to a request of the next group if one has formed meanwhile.
//! Under load one system call carries many records; alone, a record is written at once.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::oneshot;

use crate::ndjson::Line;
use crate::record::Record;
use crate::segments::Retention;

/// Receives the records of each group after it is journaled (the GUI's live list),
/// in order, each with where its line lies in the file (`None` when the journal is
/// not a file). One call per group: under load one hand-off carries many records.
pub type Subscriber = Box<dyn FnMut(Vec<(Record, Option<Line>)>) + Send>;

/// Why a record could not be journaled.
#[derive(Debug, Clone, thiserror::Error)]
pub enum JournalError {
    #[error("could not write the journal: {0}")]
    Write(String),
    #[error(
        "the journal's record ids are used up (the last one is {}): start a new journal (another --out file, or Clear in the window)",
        u64::MAX
    )]
    IdsExhausted,
}

/// What a waiting request is told.
enum Turn {
    /// Its group was written (or failed to be).
    Done(Result<(), JournalError>),
    /// Its line is in the next group and nobody is writing: it writes the group.
    Lead,
}

/// Lines waiting for the next write.
#[derive(Default)]
struct Queue {
    last_id: u64,
    lines: Vec<u8>,
    waiting: Vec<oneshot::Sender<Turn>>,
    /// For the subscriber: each record with where its line starts in `lines` and
    /// its length.
    records: Vec<(Record, usize, usize)>,
    /// A leader is writing; new lines wait for its next round.
    writing: bool,
    /// The last group's buffer, emptied, for the group after next: a group's
    /// lines grow in a buffer that already has room, instead of one grown anew
    /// (copied and faulted in) for every group.
    spare: Vec<u8>,
}

/// The largest group buffer kept for the groups after it.
const KEPT_GROUP: usize = 4 * 1024 * 1024;

struct Sink {
    out: Box<dyn Write + Send>,
    subscriber: Option<Subscriber>,
    /// The journal file (another handle on it, for [`Journal::truncate`]), and how
    /// long it is: where the next group lands, which the subscriber is told.
    file: Option<File>,
    len: u64,
    /// `fdatasync` each group before its replies (`--fsync`).
    sync: bool,
    /// The journal's path, for starting new segments (a file journal only).
    path: Option<PathBuf>,
    retention: Retention,
    /// The first id in the segment being written, and when its first record came
    /// (`None`: it holds none yet).
    first_id: Option<u64>,
    started: Option<SystemTime>,
    /// When the bounds were last applied.
    enforced: Option<Instant>,
    /// The file the journal's path named when it was opened (device and inode):
    /// when the path names another, or none, the journal was deleted or replaced.
    identity: Option<(u64, u64)>,
    /// What happened to the journal that its user should hear of.
    said: Arc<Mutex<Vec<String>>>,
    /// Tells, without a system call, when the path is worth looking at.
    watch: Option<super::path_watch::PathWatch>,
}

/// The device and inode of an open file (`None` where there are none).
fn identity(file: &File) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        file.metadata().ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        None
    }
}

/// How often an age bound is applied while records keep coming.
const ENFORCE_EVERY: Duration = Duration::from_secs(60);

impl Sink {
    /// Before a group whose first id is `first`: if the journal's file was deleted
    /// or replaced under hookscope, opens the file at its path again (a new one,
    /// or the replacement when its ids end before `first`) and says so; writing on
    /// into an unlinked file would acknowledge records nobody can read.
    fn follow_path(&mut self, first: Option<u64>) -> io::Result<()> {
        let (Some(path), Some(known)) = (self.path.clone(), self.identity) else {
            return Ok(());
        };
        if self.watch.as_mut().is_some_and(|watch| !watch.changed()) {
            return Ok(());
        }
        let now = std::fs::metadata(&path).ok().map(|m| {
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt;
                (m.dev(), m.ino())
            }
            #[cfg(not(unix))]
            {
                let _ = m;
                known
            }
        });
        if now == Some(known) {
            return Ok(());
        }
        let what = if now.is_some() { "replaced" } else { "deleted" };
        let (file, last_id) = open_append(&path)?;
        if let Some(first) = first
            && last_id >= first
        {
            return Err(io::Error::other(format!(
                "the journal {} was {what} by a file whose ids go up to {last_id}: move it away, or restart hookscope",
                path.display()
            )));
        }
        let text = format!(
            "the journal {} was {what} while hookscope wrote it: new records go to {}",
            path.display(),
            if now.is_some() {
                "the file now there"
            } else {
                "a new file there"
            }
        );
        log::warn!("{text}");
        if let Ok(mut said) = self.said.lock() {
            said.push(text);
        }
        self.len = file.metadata()?.len();
        self.first_id = crate::ndjson::first_id(&File::open(&path)?)?;
        self.started = self.first_id.map(|_| SystemTime::now());
        self.identity = identity(&file);
        self.file = Some(file.try_clone()?);
        self.out = Box::new(file);
        if let Some(watch) = &mut self.watch {
            watch.rewatch(&path);
        }
        Ok(())
    }

    /// Starts a new segment before `group` when the one being written is full or
    /// old enough, and applies the bounds then (and once a minute under an age
    /// bound). Failing to do so is logged: the group is written all the same.
    fn keep_bounds(&mut self, group: &[u8]) {
        if !self.retention.bounded() {
            return;
        }
        let Some(path) = self.path.clone() else {
            return;
        };
        let full = self.len + group.len() as u64 > self.retention.segment_size();
        let old = matches!(
            (self.retention.segment_age(), self.started),
            (Some(age), Some(at)) if at.elapsed().is_ok_and(|held| held >= age)
        );
        if self.len > 0
            && (full || old)
            && let Some(first_id) = self.first_id
        {
            match self.next_segment(&path, first_id) {
                Ok(()) => self.enforced = None,
                Err(err) => log::error!("could not start a new journal segment: {err}"),
            }
        }
        if self.enforced.is_none_or(|at| at.elapsed() >= ENFORCE_EVERY) {
            self.enforced = Some(Instant::now());
            if let Err(err) = crate::segments::enforce(&path, &self.retention, self.len) {
                log::error!("could not delete the journal's oldest segments: {err}");
            }
        }
    }

    /// Renames the segment being written after its first id and opens a new one.
    fn next_segment(&mut self, path: &Path, first_id: u64) -> io::Result<()> {
        let full = crate::segments::rotated(path, first_id);
        if full.exists() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} is there already", full.display()),
            ));
        }
        std::fs::rename(path, &full)?;
        let (file, _) = open_append(path)?;
        self.identity = identity(&file);
        if let Some(watch) = &mut self.watch {
            watch.rewatch(path);
        }
        self.file = Some(file.try_clone()?);
        self.out = Box::new(file);
        self.len = 0;
        self.first_id = None;
        self.started = None;
        Ok(())
    }

    /// Notes the first record of a segment, after `group` is written.
    fn wrote(&mut self, group: &[u8]) {
        self.len += group.len() as u64;
        if self.first_id.is_none() {
            self.first_id = leading_id(group);
            self.started = Some(SystemTime::now());
        }
    }
}

/// The id of a group's first line (`{"id":N,...`).
fn leading_id(group: &[u8]) -> Option<u64> {
    let digits = group.strip_prefix(b"{\"id\":")?;
    let end = digits.iter().position(|b| !b.is_ascii_digit())?;
    std::str::from_utf8(&digits[..end]).ok()?.parse().ok()
}

/// A request waiting for its group. Dropped before it learnt its turn (the
/// sender hung up), it still takes the lead if the lead was passed to it, so the
/// group behind it is never left unwritten.
struct Wait<'a> {
    rx: oneshot::Receiver<Turn>,
    journal: &'a Journal,
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        // After `close` no new turn can arrive: either one is already here, or the
        // leader's send fails and it picks another waiter.
        self.rx.close();
        if let Ok(Turn::Lead) = self.rx.try_recv() {
            let _ = self.journal.lead();
        }
    }
}

/// A new leader while it lets its group form. Dropped before it is done (the
/// request was cancelled), it writes the group anyway, so no line is left behind.
struct Gather<'a> {
    journal: &'a Journal,
    pending: bool,
}

impl Drop for Gather<'_> {
    fn drop(&mut self) {
        if self.pending {
            let _ = self.journal.lead();
        }
    }
}

/// The journal. Cheap to clone; every clone appends to the same sink.
#[derive(Clone)]
pub struct Journal {
    queue: Arc<Mutex<Queue>>,
    sink: Arc<Mutex<Sink>>,
    subscribed: bool,
    /// The sink's news for the user, read without waiting on a write.
    said: Arc<Mutex<Vec<String>>>,
}

/// The largest serialising buffer a worker keeps between records.
const KEPT_BUFFER: usize = 64 * 1024;

thread_local! {
    /// Each worker's buffer for serialising its records, reused from one to the next.
    static LINE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The serialised form of a record with id 0 starts with these bytes; the real
/// id is put in their place when the line is queued.
const ID_PLACEHOLDER: &[u8] = b"{\"id\":0,";

fn poisoned<T>(_: T) -> JournalError {
    JournalError::Write("a journal writer panicked".to_owned())
}

impl Journal {
    /// A journal on `sink`; ids continue after `last_id`. It starts no thread: the
    /// requests that commit write their groups themselves.
    pub fn new(
        sink: Box<dyn Write + Send>,
        last_id: u64,
        subscriber: Option<Subscriber>,
    ) -> io::Result<Journal> {
        let said = Arc::<Mutex<Vec<String>>>::default();
        Ok(Journal {
            subscribed: subscriber.is_some(),
            said: said.clone(),
            queue: Arc::new(Mutex::new(Queue {
                last_id,
                ..Queue::default()
            })),
            sink: Arc::new(Mutex::new(Sink {
                out: sink,
                subscriber,
                file: None,
                len: 0,
                sync: false,
                path: None,
                retention: Retention::default(),
                first_id: None,
                started: None,
                enforced: None,
                identity: None,
                said,
                watch: None,
            })),
        })
    }

    /// Opens (or creates) `path` for appending and continues after its last id.
    /// The subscriber learns where each line lies in the file.
    pub fn open(path: &Path, subscriber: Option<Subscriber>) -> io::Result<Journal> {
        let (file, last_id) = open_append(path)?;
        let meta = file.metadata()?;
        let first_id = crate::ndjson::first_id(&File::open(path)?)?;
        let handle = file.try_clone()?;
        let journal = Journal::new(Box::new(file), last_id, subscriber)?;
        if let Ok(mut sink) = journal.sink.lock() {
            sink.identity = identity(&handle);
            sink.watch = Some(super::path_watch::PathWatch::new(path));
            sink.file = Some(handle);
            sink.len = meta.len();
            sink.path = Some(path.to_owned());
            sink.first_id = first_id;
            sink.started = first_id.and(meta.created().or(meta.modified()).ok());
        }
        Ok(journal)
    }

    /// The journal, bounded by `retention` (`--keep-size`, `--keep-days`): new
    /// segments as it fills, the oldest deleted (a file journal only).
    pub fn retaining(self, retention: Retention) -> Journal {
        self.set_retention(retention);
        self
    }

    /// Bounds the journal from now on; the bounds are applied at once.
    pub fn set_retention(&self, retention: Retention) {
        if let Ok(mut sink) = self.sink.lock() {
            sink.retention = retention;
            sink.enforced = None;
            if let Some(path) = sink.path.clone()
                && let Err(err) = crate::segments::enforce(&path, &retention, sink.len)
            {
                log::error!("could not delete the journal's oldest segments: {err}");
            }
            sink.enforced = Some(Instant::now());
        }
    }

    /// The journal, `fdatasync`ing each group of records before its replies go out
    /// when `sync` (a file journal only): what a sender saw acknowledged then
    /// survives a crash of the machine, not only of hookscope.
    pub fn syncing(self, sync: bool) -> Journal {
        if let Ok(mut sink) = self.sink.lock() {
            sink.sync = sync;
        }
        self
    }

    /// Another handle on the same journal (a clone).
    pub fn handle(&self) -> Journal {
        self.clone()
    }

    /// Numbers `record` and resolves with its id once its line is written and flushed.
    ///
    /// Cancel-safe: a commit dropped while it waits still writes its group if it
    /// leads it (see [`Gather`]) or had just been handed the lead (see [`Wait`]).
    pub async fn commit(&self, record: Record) -> Result<u64, JournalError> {
        let (id, wait) = LINE.with(|line| self.enqueue(record, &mut line.borrow_mut()))?;
        let turn = match wait {
            Some(rx) => {
                let mut wait = Wait { rx, journal: self };
                (&mut wait.rx).await.map_err(poisoned)?
            }
            None => {
                // One scheduling round before writing: the requests that are ready
                // queue their lines meanwhile and share this write. Without it, on a
                // busy core every record would be written alone.
                let mut gather = Gather {
                    journal: self,
                    pending: true,
                };
                tokio::task::yield_now().await;
                gather.pending = false;
                Turn::Lead
            }
        };
        match turn {
            Turn::Done(result) => result.map(|()| id),
            Turn::Lead => self.lead().map(|()| id),
        }
    }

    /// Serialises `record` into `body` (the thread's buffer, reused), numbers it and
    /// queues its line; returns its id and, unless it leads, how it learns its turn.
    fn enqueue(
        &self,
        mut record: Record,
        body: &mut Vec<u8>,
    ) -> Result<(u64, Option<oneshot::Receiver<Turn>>), JournalError> {
        record.id = 0;
        body.clear();
        crate::record::append_json(body, &record)
            .map_err(|err| JournalError::Write(err.to_string()))?;
        debug_assert!(body.starts_with(ID_PLACEHOLDER));
        let rest = body.get(ID_PLACEHOLDER.len()..).unwrap_or_default();
        let queued = {
            let mut queue = self.queue.lock().map_err(poisoned)?;
            let id = queue
                .last_id
                .checked_add(1)
                .ok_or(JournalError::IdsExhausted)?;
            queue.last_id = id;
            // Writing to a Vec cannot fail.
            let start = queue.lines.len();
            let _ = write!(queue.lines, "{{\"id\":{id},");
            queue.lines.extend_from_slice(rest);
            let len = queue.lines.len() - start;
            queue.lines.push(b'\n');
            if self.subscribed {
                record.id = id;
                queue.records.push((record, start, len));
            }
            if queue.writing {
                let (tx, rx) = oneshot::channel();
                queue.waiting.push(tx);
                (id, Some(rx))
            } else {
                queue.writing = true;
                (id, None)
            }
        };
        if body.capacity() > KEPT_BUFFER {
            // A large body passed: do not keep its buffer for every record after.
            *body = Vec::new();
        }
        Ok(queued)
    }

    /// Writes the queued group (which holds the leader's own line), releases its
    /// waiters, and passes the lead on if another group has formed.
    fn lead(&self) -> Result<(), JournalError> {
        let (mut lines, waiting, records) = {
            let mut queue = self.queue.lock().map_err(poisoned)?;
            let spare = std::mem::take(&mut queue.spare);
            (
                std::mem::replace(&mut queue.lines, spare),
                std::mem::take(&mut queue.waiting),
                std::mem::take(&mut queue.records),
            )
        };
        let mut guard = self.sink.lock().map_err(poisoned)?;
        let sink = &mut *guard;
        let written = sink
            .follow_path(leading_id(&lines))
            .and_then(|()| {
                sink.keep_bounds(&lines);
                sink.out.write_all(&lines)
            })
            .and_then(|()| sink.out.flush())
            .and_then(|()| match (&sink.file, sink.sync) {
                (Some(file), true) => file.sync_data(),
                _ => Ok(()),
            })
            .map_err(|err| {
                log::error!("could not write the journal: {err}");
                JournalError::Write(err.to_string())
            });
        // Only this leader writes: the group starts where the file ended.
        let base = sink.file.is_some().then_some(sink.len);
        if written.is_ok() {
            sink.wrote(&lines);
        } else if let Some(file) = &sink.file {
            // Part of the group may be in the file (a disk that filled up): cut it
            // back to the last whole line, so the next group starts on a line of its
            // own; if even that fails, count from what is there.
            if let Err(err) = file.set_len(sink.len) {
                log::error!("could not cut the journal back after a failed write: {err}");
                sink.len = file.metadata().map_or(sink.len, |m| m.len());
            }
        }
        drop(guard);
        // The requests are answered first; the window hears of the group after,
        // still before the next group is written (this leader has not passed the
        // lead on yet), so it sees every record in order.
        for tx in waiting {
            let _ = tx.send(Turn::Done(written.clone()));
        }
        if written.is_ok() && self.subscribed {
            let mut sink = self.sink.lock().map_err(poisoned)?;
            if let Some(subscriber) = sink.subscriber.as_mut() {
                let group = records
                    .into_iter()
                    .map(|(record, start, len)| {
                        let line = base.zip(u32::try_from(len).ok()).map(|(base, len)| Line {
                            offset: base + start as u64,
                            len,
                        });
                        (record, line)
                    })
                    .collect();
                subscriber(group);
            }
        }
        let mut queue = self.queue.lock().map_err(poisoned)?;
        if lines.capacity() <= KEPT_GROUP {
            lines.clear();
            queue.spare = lines;
        }
        loop {
            if queue.waiting.is_empty() {
                // No request waits on the next group: the next commit leads, and
                // writes any line left by a cancelled request along with its own.
                queue.writing = false;
                break;
            }
            let next = queue.waiting.remove(0);
            if next.send(Turn::Lead).is_ok() {
                break;
            }
            // That request was cancelled (its connection dropped); try the next one.
        }
        written
    }

    /// Empties the journal, its full segments deleted (the window's *Clear*); ids
    /// go on from the last one.
    /// Lines written from now on start at its beginning, as the subscriber is told.
    pub fn truncate(&self) -> io::Result<()> {
        let mut sink = self
            .sink
            .lock()
            .map_err(|_| io::Error::other("a journal writer panicked"))?;
        if let Some(file) = &sink.file {
            file.set_len(0)?;
        }
        if let Some(path) = &sink.path {
            crate::segments::remove_rotated(path)?;
        }
        sink.len = 0;
        sink.first_id = None;
        sink.started = None;
        Ok(())
    }

    /// What happened to the journal since the last call that its user should hear
    /// of (it was deleted or replaced while written, and opened again).
    pub fn take_said(&self) -> Vec<String> {
        self.said
            .lock()
            .map(|mut said| std::mem::take(&mut *said))
            .unwrap_or_default()
    }

    /// Flushes the sink (every line is already flushed; this is for a clean stop).
    pub fn flush(self) {
        if let Ok(mut sink) = self.sink.lock() {
            let _ = sink.out.flush();
        }
    }
}

/// Opens a journal for appending: finds its last id, and ends a torn last line so
/// the next record starts on a line of its own.
pub fn open_append(path: &Path) -> io::Result<(File, u64)> {
    let mut options = OpenOptions::new();
    options.read(true).append(true).create(true);
    // Hook data is personal data: a new journal is the owner's alone; an existing
    // one keeps the mode it has.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    // One writer per journal: two would number their records alike, and a window
    // would read another process's lines at the offsets it counted itself. The lock
    // goes with the file (and every handle cloned from it).
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(io::Error::new(
                io::ErrorKind::ResourceBusy,
                "another hookscope is writing it (one writer per journal): stop that one, or give this one another file with --out",
            ));
        }
        Err(std::fs::TryLockError::Error(err)) => return Err(err),
    }
    let len = file.metadata()?.len();
    if len == 0 {
        // A new segment: ids go on from the full ones before it.
        return Ok((file, crate::segments::last_rotated_id(path)?));
    }
    // The last record holds the last id: ids increase in file order.
    let (last_id, ends_clean) = crate::ndjson::last_id(&file, len)?;
    if !ends_clean {
        file.write_all(b"\n")?;
    }
    Ok((file, last_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: usize) -> Record {
        Record::request(
            "2026-11-26T13:45:11.123Z",
            "POST",
            &format!("/{n}"),
            "127.0.0.1:1",
            vec![],
            b"x",
        )
    }

    #[test]
    fn concurrent_commits_get_increasing_ids_in_file_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.ndjson");
        std::fs::write(&path, "{\"id\":7}\n{\"id\":8").unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let journal = Journal::open(
            &path,
            Some(Box::new(move |group: Vec<(Record, Option<Line>)>| {
                let mut seen = sink.lock().unwrap();
                seen.extend(group.into_iter().map(|(r, line)| (r.id, line.unwrap())));
            })),
        )
        .unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .build()
            .unwrap();
        let ids: Vec<u64> = runtime.block_on(async {
            let tasks: Vec<_> = (0..400)
                .map(|n| {
                    let journal = journal.clone();
                    tokio::spawn(async move { journal.commit(record(n)).await.unwrap() })
                })
                .collect();
            let mut ids = Vec::new();
            for task in tasks {
                ids.push(task.await.unwrap());
            }
            ids
        });
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        // The torn "{\"id\":8" was never a record: numbering goes on from 7.
        assert_eq!(sorted, (8..408).collect::<Vec<_>>());
        let text = std::fs::read_to_string(&path).unwrap();
        let file_ids: Vec<u64> = text
            .lines()
            .skip(2)
            .map(|l| serde_json::from_str::<Record>(l).unwrap().id)
            .collect();
        assert_eq!(file_ids, sorted, "ids increase in file order");
        let seen = seen.lock().unwrap();
        assert_eq!(
            seen.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            sorted,
            "the subscriber sees them in order"
        );
        // Each line lies where the subscriber was told.
        let bytes = std::fs::read(&path).unwrap();
        for (id, line) in seen.iter() {
            let at = line.offset as usize;
            let text = &bytes[at..at + line.len as usize];
            assert_eq!(serde_json::from_slice::<Record>(text).unwrap().id, *id);
            assert_eq!(bytes[at + line.len as usize], b'\n');
        }
    }

    #[test]
    fn a_leader_cancelled_while_its_group_forms_still_writes_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.ndjson");
        let journal = Journal::open(&path, None).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let follower = runtime.block_on(async {
            // Boxed, so dropping it drops the future itself.
            let mut leader = Box::pin(journal.commit(record(1)));
            // The first commit leads and yields before writing.
            let first = std::future::poll_fn(|cx| {
                std::task::Poll::Ready(leader.as_mut().poll(cx).is_pending())
            })
            .await;
            assert!(first, "the leader waits one round");
            let other = journal.clone();
            let follower = tokio::spawn(async move { other.commit(record(2)).await });
            // The follower queues its line behind the leader's and waits.
            tokio::task::yield_now().await;
            assert!(!follower.is_finished());
            // The leader's request goes away: its drop writes the group.
            drop(leader);
            tokio::time::timeout(std::time::Duration::from_secs(10), follower)
                .await
                .expect("the group was left unwritten")
                .unwrap()
        });
        assert_eq!(follower.unwrap(), 2);
        let ids: Vec<u64> = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<Record>(l).unwrap().id)
            .collect();
        assert_eq!(ids, [1, 2]);
    }

    #[test]
    fn after_truncate_lines_start_at_the_beginning_and_ids_go_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.ndjson");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let journal = Journal::open(
            &path,
            Some(Box::new(move |group: Vec<(Record, Option<Line>)>| {
                sink.lock()
                    .unwrap()
                    .extend(group.into_iter().map(|(r, l)| (r.id, l.unwrap())));
            })),
        )
        .unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        for n in 0..3 {
            runtime.block_on(journal.commit(record(n))).unwrap();
        }
        journal.truncate().unwrap();
        let id = runtime.block_on(journal.commit(record(3))).unwrap();
        assert_eq!(id, 4);
        let (last_id, line) = *seen.lock().unwrap().last().unwrap();
        assert_eq!((last_id, line.offset), (4, 0));
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.len(), line.len as usize + 1);
        assert_eq!(
            serde_json::from_str::<Record>(text.trim_end()).unwrap().id,
            4
        );
    }

    #[test]
    fn write_errors_reach_the_request() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::other("disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let journal = Journal::new(Box::new(Broken), 0, None).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let err = runtime.block_on(journal.commit(record(1))).unwrap_err();
        assert!(err.to_string().contains("disk full"));
    }
}
