//! Knowing cheaply that a journal's file may have been deleted, renamed or
//! replaced: an inotify watch (Linux) on the file, whose queue the writer reads
//! without waiting before each group (the kernel queues the event as the file is
//! unlinked, so nothing slips between); only then does it look at the path.
//! Elsewhere, or when inotify is not to be had, the path is looked at every time.

use std::path::Path;

/// The watch on a journal's file.
pub struct PathWatch {
    #[cfg(target_os = "linux")]
    inotify: Option<rustix::fd::OwnedFd>,
    /// No watch: the path is looked at before every group.
    blind: bool,
}

impl PathWatch {
    /// Watches the file at `path`.
    pub fn new(path: &Path) -> PathWatch {
        #[cfg(target_os = "linux")]
        {
            let inotify = linux::watch(path);
            PathWatch {
                blind: inotify.is_none(),
                inotify,
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = path;
            PathWatch { blind: true }
        }
    }

    /// True when the file may have changed since the last call (always, without a
    /// watch): the writer then looks at the path.
    pub fn changed(&mut self) -> bool {
        #[cfg(target_os = "linux")]
        if let Some(inotify) = &self.inotify {
            return self.blind || linux::drain(inotify);
        }
        true
    }

    /// Watches the file now at `path` (a new segment, or the file opened again).
    pub fn rewatch(&mut self, path: &Path) {
        #[cfg(target_os = "linux")]
        if let Some(inotify) = &self.inotify
            && linux::add(inotify, path).is_ok()
        {
            return;
        }
        let _ = path;
        self.blind = true;
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::mem::MaybeUninit;
    use std::path::Path;

    use rustix::fd::OwnedFd;
    use rustix::fs::inotify::{self, CreateFlags, WatchFlags};

    /// A new inotify object watching `path`.
    pub fn watch(path: &Path) -> Option<OwnedFd> {
        let inotify = inotify::init(CreateFlags::NONBLOCK | CreateFlags::CLOEXEC).ok()?;
        add(&inotify, path).ok()?;
        Some(inotify)
    }

    /// What matters to a file's writer: its links change (deleted, or another file
    /// took its name), it moves, or it goes.
    pub fn add(inotify: &OwnedFd, path: &Path) -> rustix::io::Result<()> {
        let flags = WatchFlags::ATTRIB | WatchFlags::MOVE_SELF | WatchFlags::DELETE_SELF;
        inotify::add_watch(inotify, path, flags).map(|_| ())
    }

    /// Reads every queued event without waiting; true when there was one.
    pub fn drain(inotify: &OwnedFd) -> bool {
        let mut buf = [MaybeUninit::<u8>::uninit(); 1024];
        let mut reader = inotify::Reader::new(inotify, &mut buf);
        let mut any = false;
        while reader.next().is_ok() {
            any = true;
        }
        any
    }
}
