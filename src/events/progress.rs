//! How far work over the held events on a job has got, shared with the window.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

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
