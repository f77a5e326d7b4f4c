//! Work that touches the disk or a socket, off the UI thread: [`Jobs::spawn`]
//! names a thread, runs the work and sends its result to the [`Inbox`] of the part
//! of the state that asked for it, then wakes the window; each part takes its own
//! results in during [`AppState::tick`](super::AppState::tick). Dropping [`Jobs`]
//! asks running work to stop and joins every thread.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Called from other threads when there is news for the window.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// Where the results of one part's jobs arrive, for that part alone to take in.
pub struct Inbox<R> {
    tx: Sender<R>,
    rx: Receiver<R>,
}

impl<R> Default for Inbox<R> {
    fn default() -> Self {
        let (tx, rx) = channel();
        Inbox { tx, rx }
    }
}

impl<R> Inbox<R> {
    /// The results that arrived since the last call.
    pub fn take(&self) -> Vec<R> {
        self.rx.try_iter().collect()
    }
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
    waker: Waker,
    cancel: Cancel,
    running: Mutex<Vec<JoinHandle<()>>>,
}

impl Jobs {
    /// Jobs that wake the window with `waker` when they finish.
    pub fn new(waker: Waker) -> Jobs {
        Jobs {
            waker,
            cancel: Cancel::default(),
            running: Mutex::new(Vec::new()),
        }
    }

    /// Runs `work` on a thread named `name`; its result goes to `inbox`.
    pub fn spawn<R: Send + 'static>(
        &self,
        name: &str,
        inbox: &Inbox<R>,
        work: impl FnOnce(&Cancel) -> R + Send + 'static,
    ) {
        let tx = inbox.tx.clone();
        let waker = self.waker.clone();
        self.run(name, move |cancel| {
            let _ = tx.send(work(cancel));
            waker();
        });
    }

    /// Runs `work`, which reports nothing, on a thread named `name`.
    pub fn run(&self, name: &str, work: impl FnOnce(&Cancel) + Send + 'static) {
        let cancel = self.cancel.clone();
        let spawned = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || work(&cancel));
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

    /// A way for threads the jobs do not own (the keyring worker) to report to
    /// `inbox` and wake the window.
    pub fn reporter<R: Send + 'static>(
        &self,
        inbox: &Inbox<R>,
    ) -> impl Fn(R) + Send + Sync + 'static {
        let tx = inbox.tx.clone();
        let waker = self.waker.clone();
        move |report| {
            let _ = tx.send(report);
            waker();
        }
    }

    /// The waker, for other channels of the window.
    pub fn waker(&self) -> Waker {
        self.waker.clone()
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
        let inbox = Inbox::default();
        jobs.spawn("hookscope-test-job", &inbox, |_| 42);
        let start = std::time::Instant::now();
        let mut got = Vec::new();
        // The window is woken just after the result is sent.
        while (got.is_empty() || !woken.load(Ordering::Relaxed))
            && start.elapsed() < std::time::Duration::from_secs(5)
        {
            got.extend(inbox.take());
        }
        assert_eq!(got, [42]);
        assert!(woken.load(Ordering::Relaxed));
        let stopped = Arc::new(AtomicBool::new(false));
        let seen = stopped.clone();
        jobs.run("hookscope-long-job", move |cancel| {
            while !cancel.cancelled() {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            seen.store(true, Ordering::Relaxed);
        });
        drop(jobs);
        assert!(
            stopped.load(Ordering::Relaxed),
            "drop returned before the job stopped"
        );
    }
}
