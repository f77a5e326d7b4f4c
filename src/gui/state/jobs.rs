//! Work that touches the disk or a socket, off the UI thread: [`Jobs::spawn`]
//! names a thread, runs the work, sends its [`Done`] through one channel that
//! [`AppState::tick`](super::AppState::tick) drains, and wakes the window. Dropping
//! [`Jobs`] asks running work to stop and joins every thread.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::capture::{Capture, Journal};
use crate::events::Lines;

/// Called from other threads when there is news for the window.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// What a finished job reports, addressed to the part of the state that asked
/// for it; each part handles its own report.
pub enum Done {
    /// The journal was opened (or could not be), with a reader of its lines.
    Journal(Result<(Journal, Arc<Lines>), String>),
    /// The listener was bound (or could not be): for [`Listener`](super::Listener).
    Bound(Result<Capture, String>),
    /// For [`Files`](super::Files).
    Files(super::files::Report),
    /// For the view and the event store: a search, a re-verification, processes.
    View(super::view::Report),
    /// A test hook or a replay was sent.
    Sent(super::sending::Report),
    /// For [`Secrets`](super::Secrets).
    Keyring(crate::credentials::Report),
    /// The probe of the user's app finished: for [`Workbench`](super::Workbench).
    Probed(Result<crate::probe::Report, String>),
    /// Work that runs as long as the window ended; nothing to report.
    Ended,
}

/// Asked of long work between its steps: the window is closing.
#[derive(Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// True once the window is closing.
    pub fn cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The window's background work.
pub struct Jobs {
    tx: Sender<Done>,
    rx: Receiver<Done>,
    waker: Waker,
    cancel: Cancel,
    running: Mutex<Vec<JoinHandle<()>>>,
}

impl Jobs {
    /// Jobs that wake the window with `waker` when they finish.
    pub fn new(waker: Waker) -> Jobs {
        let (tx, rx) = channel();
        Jobs {
            tx,
            rx,
            waker,
            cancel: Cancel::default(),
            running: Mutex::new(Vec::new()),
        }
    }

    /// Runs `work` on a thread named `name`; its result reaches `tick`.
    pub fn spawn(&self, name: &str, work: impl FnOnce(&Cancel) -> Done + Send + 'static) {
        let tx = self.tx.clone();
        let waker = self.waker.clone();
        let cancel = self.cancel.clone();
        let spawned = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let _ = tx.send(work(&cancel));
                waker();
            });
        match spawned {
            Ok(handle) => {
                if let Ok(mut running) = self.running.lock() {
                    running.retain(|h| !h.is_finished());
                    running.push(handle);
                }
            }
            Err(err) => log::error!("could not start {name}: {err}"),
        }
    }

    /// A way for threads the jobs do not own (the journal's subscriber, the keyring
    /// worker) to report through the same channel.
    pub fn reporter(&self) -> impl Fn(Done) + Send + Sync + 'static {
        let tx = self.tx.clone();
        let waker = self.waker.clone();
        move |done| {
            let _ = tx.send(done);
            waker();
        }
    }

    /// The waker, for other channels of the window.
    pub fn waker(&self) -> Waker {
        self.waker.clone()
    }

    /// The results that have arrived since the last call.
    pub fn finished(&self) -> Vec<Done> {
        self.rx.try_iter().collect()
    }
}

impl Drop for Jobs {
    fn drop(&mut self) {
        self.cancel.0.store(true, Ordering::Relaxed);
        let running = self
            .running
            .get_mut()
            .map(std::mem::take)
            .unwrap_or_default();
        for handle in running {
            let name = handle.thread().name().unwrap_or("a job").to_owned();
            if handle.join().is_err() {
                log::error!("{name} panicked");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_and_drop_joins_after_asking_to_stop() {
        let woken = Arc::new(AtomicBool::new(false));
        let flag = woken.clone();
        let jobs = Jobs::new(Arc::new(move || flag.store(true, Ordering::Relaxed)));
        jobs.spawn("hookscope-test-job", |_| Done::Ended);
        let start = std::time::Instant::now();
        let mut got = Vec::new();
        // The window is woken just after the result is sent.
        while (got.is_empty() || !woken.load(Ordering::Relaxed))
            && start.elapsed() < std::time::Duration::from_secs(5)
        {
            got.extend(jobs.finished());
        }
        assert!(matches!(got.as_slice(), [Done::Ended]));
        assert!(woken.load(Ordering::Relaxed));
        let stopped = Arc::new(AtomicBool::new(false));
        let seen = stopped.clone();
        jobs.spawn("hookscope-long-job", move |cancel| {
            while !cancel.cancelled() {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            seen.store(true, Ordering::Relaxed);
            Done::Ended
        });
        drop(jobs);
        assert!(
            stopped.load(Ordering::Relaxed),
            "drop returned before the job stopped"
        );
    }
}
