//! Taking captured events in off the UI thread. The journal hands each record it
//! wrote (with where its line lies) to the `hookscope-ingest` job, which works out
//! its row and shape with an [`Ingester`] (using the verdict the listener already
//! reached, so nothing is verified twice) and passes the compact result on; the
//! window only files it. A flood wakes the window at most once per frame.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError, channel};
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use super::jobs::{Jobs, Waker};
use crate::capture::SharedVerifier;
use crate::capture::journal::Subscriber;
use crate::events::{Ingested, Ingester, lighten};
use crate::ndjson::Line;
use crate::record::Record;
use crate::token::Analyze as _;

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
pub struct RecordSender(Sender<Captured>, Arc<Counts>);

impl RecordSender {
    /// Shows `record` (checked with the window's secrets, held in memory); an
    /// error once the window is gone.
    pub fn send(&self, record: Record) -> Result<(), &'static str> {
        self.1.queued.fetch_add(1, Ordering::AcqRel);
        self.0
            .send(Captured::Record(Box::new(record)))
            .map_err(|_| "the window is closed")
    }
}

/// Events on their way: sent to the job and not worked out yet (`queued`), and
/// worked out and not filed yet (`ready`). A window whose counts are both zero has
/// every event it was sent.
#[derive(Debug, Default)]
struct Counts {
    queued: AtomicUsize,
    ready: AtomicUsize,
}

/// The window's end of the ingest job.
pub struct Ingest {
    tx: Sender<Captured>,
    /// Events ready to be filed, in capture order, a group at a time.
    pub ready: Receiver<Vec<Ingested>>,
    /// An event woke the window and it has not looked yet.
    pending: Arc<AtomicBool>,
    counts: Arc<Counts>,
}

impl Ingest {
    /// Starts the ingest job; records unchecked are checked with `verifier`.
    pub fn start(jobs: &Jobs, verifier: SharedVerifier) -> Ingest {
        let (tx, rx) = channel::<Captured>();
        let (ready_tx, ready) = channel();
        let pending = Arc::new(AtomicBool::new(false));
        let waker = jobs.waker();
        let woken = pending.clone();
        let counts = Arc::new(Counts::default());
        let counted = counts.clone();
        jobs.run("hookscope-ingest", move |cancel| {
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
                let n: usize = ready.len();
                counted.ready.fetch_add(n, Ordering::AcqRel);
                counted.queued.fetch_sub(n, Ordering::AcqRel);
                if ready_tx.send(ready).is_err() {
                    break;
                }
                wake(&woken, &waker);
            }
        });
        Ingest {
            tx,
            ready,
            pending,
            counts,
        }
    }

    /// What the journal calls with each record it wrote.
    pub fn subscriber(&self) -> Subscriber {
        let tx = self.tx.clone();
        let counts = self.counts.clone();
        // Runs on the listener's thread that wrote the group: what the window does
        // not need is freed there, where it was made (memory freed on another thread
        // is slow to come back to the one that allocates it).
        Box::new(move |group: Vec<(Record, Option<Line>)>| {
            let group: Vec<(Record, Option<Line>, usize)> = group
                .into_iter()
                .map(|(mut record, line)| {
                    let size = match line {
                        Some(_) => lighten(&mut record),
                        None => record.body_len(),
                    };
                    (record, line, size)
                })
                .collect();
            counts.queued.fetch_add(group.len(), Ordering::AcqRel);
            let _ = tx.send(Captured::Group(group));
        })
    }

    /// A sender of records that were not captured (tests, benches).
    pub fn sender(&self) -> RecordSender {
        RecordSender(self.tx.clone(), self.counts.clone())
    }

    /// The store started afresh: the next event of each shape carries its paths.
    pub fn forget_shapes(&self) {
        let _ = self.tx.send(Captured::Forget);
    }

    /// The window filed `n` events it took from [`Ingest::ready`].
    pub fn filed(&self, n: usize) {
        self.counts.ready.fetch_sub(n, Ordering::AcqRel);
    }

    /// Events sent to the job that it has not worked out yet.
    pub fn queued(&self) -> usize {
        self.counts.queued.load(Ordering::Acquire)
    }

    /// Events worked out that the window has not filed yet.
    pub fn unfiled(&self) -> usize {
        self.counts.ready.load(Ordering::Acquire)
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
