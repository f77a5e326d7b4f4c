//! The append-only NDJSON journal: a writer thread that numbers records, writes
//! them in groups and acknowledges each one only after its group is flushed, so a
//! reply is never sent for a record that is not on disk.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::record::Record;

/// Most records written in one group.
const GROUP: usize = 512;

/// Receives every record after it is journaled (the GUI's live list).
pub type Subscriber = Box<dyn FnMut(Record) + Send>;

/// Why a record could not be journaled.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("the journal writer has stopped")]
    Stopped,
    #[error("could not write the journal: {0}")]
    Write(String),
}

struct Entry {
    record: Record,
    ack: Option<oneshot::Sender<Result<u64, JournalError>>>,
}

/// The writer thread. Dropping the last [`JournalHandle`] and calling [`Journal::finish`]
/// writes what is queued and joins the thread.
pub struct Journal {
    tx: Option<mpsc::Sender<Entry>>,
    thread: Option<JoinHandle<()>>,
}

/// Queues records for the journal; cheap to clone, one per request handler.
#[derive(Clone)]
pub struct JournalHandle {
    tx: mpsc::Sender<Entry>,
}

impl JournalHandle {
    /// Journals `record` and resolves with its id once it is written and flushed.
    pub async fn commit(&self, record: Record) -> Result<u64, JournalError> {
        let (ack, done) = oneshot::channel();
        self.tx
            .send(Entry {
                record,
                ack: Some(ack),
            })
            .map_err(|_| JournalError::Stopped)?;
        done.await.map_err(|_| JournalError::Stopped)?
    }

    /// Journals `record` without waiting (records made outside a request: replays, imports).
    pub fn push(&self, record: Record) -> Result<(), JournalError> {
        self.tx
            .send(Entry { record, ack: None })
            .map_err(|_| JournalError::Stopped)
    }
}

impl Journal {
    /// Starts the writer on `sink`; ids continue after `last_id`.
    pub fn spawn(
        sink: Box<dyn Write + Send>,
        last_id: u64,
        subscriber: Option<Subscriber>,
    ) -> io::Result<Journal> {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("hookscope-journal".to_owned())
            .spawn(move || write_loop(sink, rx, last_id, subscriber))?;
        Ok(Journal {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// Opens (or creates) `path` for appending and starts the writer after its last id.
    pub fn open(path: &Path, subscriber: Option<Subscriber>) -> io::Result<Journal> {
        let (file, last_id) = open_append(path)?;
        Journal::spawn(Box::new(file), last_id, subscriber)
    }

    /// A handle that queues records.
    pub fn handle(&self) -> JournalHandle {
        JournalHandle {
            tx: self.tx.clone().expect("journal handle taken after finish"),
        }
    }

    /// Writes everything queued and stops the writer; waits for every handle to drop.
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.tx = None;
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            log::error!("the journal writer panicked");
        }
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        self.stop();
    }
}

fn write_loop(
    mut sink: Box<dyn Write + Send>,
    rx: mpsc::Receiver<Entry>,
    mut last_id: u64,
    mut subscriber: Option<Subscriber>,
) {
    let mut group = Vec::with_capacity(GROUP);
    let mut buf = Vec::with_capacity(64 * 1024);
    while let Ok(first) = rx.recv() {
        group.push(first);
        while group.len() < GROUP {
            match rx.try_recv() {
                Ok(entry) => group.push(entry),
                Err(_) => break,
            }
        }
        buf.clear();
        for entry in &mut group {
            last_id += 1;
            entry.record.id = last_id;
            // Serialising plain data into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut buf, &entry.record);
            buf.push(b'\n');
        }
        let written = sink.write_all(&buf).and_then(|()| sink.flush());
        if let Err(err) = &written {
            log::error!("could not write the journal: {err}");
        }
        for entry in group.drain(..) {
            let id = entry.record.id;
            if let Some(ack) = entry.ack {
                let _ = ack.send(match &written {
                    Ok(()) => Ok(id),
                    Err(err) => Err(JournalError::Write(err.to_string())),
                });
            }
            if written.is_ok()
                && let Some(subscriber) = subscriber.as_mut()
            {
                subscriber(entry.record);
            }
        }
    }
    let _ = sink.flush();
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
