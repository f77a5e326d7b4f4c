//! The append-only NDJSON journal, with group commit. A record is numbered and
//! written before its request is answered, so a sender never sees a reply for a
//! record that is not in the file. Records are serialised on the request's own
//! thread; whoever finds no write in progress becomes the leader and writes every
//! line queued so far in one `write`, releases the requests in that group, and
//! hands the lead to a request of the next group if one has formed meanwhile.
//! Under load one system call carries many records; alone, a record is written at once.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::oneshot;

use super::sink::{Sink, leading_id};
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
            sink: Arc::new(Mutex::new(Sink::new(sink, subscriber, said))),
        })
    }

    /// Opens (or creates) `path` for appending and continues after its last id.
    /// The subscriber learns where each line lies in the file.
    pub fn open(path: &Path, subscriber: Option<Subscriber>) -> io::Result<Journal> {
        let (file, last_id) = open_append(path)?;
        let handle = file.try_clone()?;
        let journal = Journal::new(Box::new(file), last_id, subscriber)?;
        if let Ok(mut sink) = journal.sink.lock() {
            sink.attach(path, handle)?;
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
