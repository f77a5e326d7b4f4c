//! Taking captured events in off the UI thread. The journal hands each record it
//! wrote (with where its line lies) to the `hookscope-ingest` job, which works out
//! its row and shape with an [`Ingester`] (using the verdict the listener already
//! reached, so nothing is verified twice) and passes the compact result on; the
//! window only files it. A flood wakes the window at most once per frame.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError, channel};
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use super::jobs::{Done, Jobs, Waker};
use crate::capture::SharedVerifier;
use crate::capture::journal::{Line, Subscriber};
use crate::gui::store::{Ingested, Ingester, lighten};
use crate::record::Record;

/// How long after an event the ingest job keeps looking instead of waiting.
const BUSY: Duration = Duration::from_millis(50);
/// How often it looks meanwhile.
const POLL: Duration = Duration::from_millis(2);

/// What reaches the ingest job.
enum Captured {
    /// A journaled group of records (checked by the listener already), each with
    /// where its line lies and its body's size ([`lighten`]ed when it has a line).
    Group(Vec<(Record, Option<Line>, usize)>),
    /// A record made elsewhere (tests, benches): checked here, held in memory.
    Record(Box<Record>),
    /// The window's store started afresh (cleared, or read back from the journal):
    /// shapes are sent with their paths again.
    Forget,
}

/// Sends records into the window as if they had been captured (tests, benches).
#[derive(Clone)]
pub struct RecordSender(Sender<Captured>);

impl RecordSender {
    /// Shows `record` (checked with the window's secrets, held in memory); an
    /// error once the window is gone.
    pub fn send(&self, record: Record) -> Result<(), &'static str> {
        self.0
            .send(Captured::Record(Box::new(record)))
            .map_err(|_| "the window is closed")
    }
}

/// The window's end of the ingest job.
pub struct Ingest {
    tx: Sender<Captured>,
    /// Events ready to be filed, in capture order, a group at a time.
    pub ready: Receiver<Vec<Ingested>>,
    /// An event woke the window and it has not looked yet.
    pending: Arc<AtomicBool>,
}

impl Ingest {
    /// Starts the ingest job; records unchecked are checked with `verifier`.
    pub fn start(jobs: &Jobs, verifier: SharedVerifier) -> Ingest {
        let (tx, rx) = channel::<Captured>();
        let (ready_tx, ready) = channel();
        let pending = Arc::new(AtomicBool::new(false));
        let waker = jobs.waker();
        let woken = pending.clone();
        jobs.spawn("hookscope-ingest", move |cancel| {
            let mut ingester = Ingester::default();
            let mut busy_at: Option<std::time::Instant> = None;
            loop {
                // While events keep coming, look every few milliseconds instead of
                // waiting: a waiting receiver costs every sender a wake-up call.
                let next = match rx.try_recv() {
                    Err(TryRecvError::Empty) if busy_at.is_some_and(|at| at.elapsed() < BUSY) => {
                        std::thread::sleep(POLL);
                        continue;
                    }
                    Err(TryRecvError::Empty) => rx.recv_timeout(Duration::from_millis(100)),
                    Err(TryRecvError::Disconnected) => break,
                    Ok(captured) => Ok(captured),
                };
                if next.is_ok() {
                    busy_at = Some(std::time::Instant::now());
                }
                let ready = match next {
                    Ok(Captured::Group(group)) => group
                        .into_iter()
                        .map(|(record, line, size)| ingester.ingest_sized(record, size, line, None))
                        .collect(),
                    Ok(Captured::Record(record)) => {
                        let verifier = verifier
                            .read()
                            .unwrap_or_else(PoisonError::into_inner)
                            .clone();
                        let analysis = record.analysis(&verifier, crate::token::unix_now());
                        vec![ingester.ingest(*record, None, Some(analysis))]
                    }
                    Ok(Captured::Forget) => {
                        ingester.forget_shapes();
                        continue;
                    }
                    Err(RecvTimeoutError::Timeout) if !cancel.cancelled() => continue,
                    Err(_) => break,
                };
                if ready_tx.send(ready).is_err() {
                    break;
                }
                wake(&woken, &waker);
            }
            Done::Ended
        });
        Ingest { tx, ready, pending }
    }

    /// What the journal calls with each record it wrote.
    pub fn subscriber(&self) -> Subscriber {
        let tx = self.tx.clone();
        // Runs on the listener's thread that wrote the group: what the window does
        // not need is freed there, where it was made (memory freed on another thread
        // is slow to come back to the one that allocates it).
        Box::new(move |group: Vec<(Record, Option<Line>)>| {
            let group = group
                .into_iter()
                .map(|(mut record, line)| {
                    let size = match line {
                        Some(_) => lighten(&mut record),
                        None => record.body_len(),
                    };
                    (record, line, size)
                })
                .collect();
            let _ = tx.send(Captured::Group(group));
        })
    }

    /// A sender of records that were not captured (tests, benches).
    pub fn sender(&self) -> RecordSender {
        RecordSender(self.tx.clone())
    }

    /// The store started afresh: the next event of each shape carries its paths.
    pub fn forget_shapes(&self) {
        let _ = self.tx.send(Captured::Forget);
    }

    /// The window looks now: the next event wakes it again.
    pub fn looking(&self) {
        self.pending.store(false, Ordering::Release);
    }
}

/// Wakes the window unless it is already due to look: one wake per frame under a
/// flood, not one per event (each wake takes egui's context lock).
fn wake(pending: &AtomicBool, waker: &Waker) {
    if !pending.swap(true, Ordering::AcqRel) {
        waker();
    }
}
