//! The journal's file side: writing a group where the file ends, starting a new
//! segment when a bound says so and deleting the oldest, and following the
//! journal's path when the file is deleted or replaced under it.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use super::journal::{Subscriber, open_append};
use crate::segments::Retention;

pub(super) struct Sink {
    pub(super) out: Box<dyn Write + Send>,
    pub(super) subscriber: Option<Subscriber>,
    /// The journal file (another handle on it, for [`Journal::truncate`]), and how
    /// long it is: where the next group lands, which the subscriber is told.
    pub(super) file: Option<File>,
    pub(super) len: u64,
    /// `fdatasync` each group before its replies (`--fsync`).
    pub(super) sync: bool,
    /// The journal's path, for starting new segments (a file journal only).
    pub(super) path: Option<PathBuf>,
    pub(super) retention: Retention,
    /// The first id in the segment being written, and when its first record came
    /// (`None`: it holds none yet).
    pub(super) first_id: Option<u64>,
    pub(super) started: Option<SystemTime>,
    /// When the bounds were last applied.
    pub(super) enforced: Option<Instant>,
    /// The file the journal's path named when it was opened (device and inode):
    /// when the path names another, or none, the journal was deleted or replaced.
    pub(super) identity: Option<(u64, u64)>,
    /// What happened to the journal that its user should hear of.
    pub(super) said: Arc<Mutex<Vec<String>>>,
    /// Tells, without a system call, when the path is worth looking at.
    pub(super) watch: Option<super::path_watch::PathWatch>,
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
    /// A sink writing to `out` (a file is attached with [`Sink::attach`]).
    pub(super) fn new(
        out: Box<dyn Write + Send>,
        subscriber: Option<Subscriber>,
        said: Arc<Mutex<Vec<String>>>,
    ) -> Sink {
        Sink {
            out,
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
        }
    }

    /// The sink writes the journal file at `path` (`file`, another handle on it):
    /// where it ends, its first id, and the watch on its path.
    pub(super) fn attach(&mut self, path: &Path, file: File) -> io::Result<()> {
        let meta = file.metadata()?;
        self.first_id = crate::ndjson::first_id(&File::open(path)?)?;
        self.started = self.first_id.and(meta.created().or(meta.modified()).ok());
        self.identity = identity(&file);
        self.watch = Some(super::path_watch::PathWatch::new(path));
        self.file = Some(file);
        self.len = meta.len();
        self.path = Some(path.to_owned());
        Ok(())
    }

    /// Before a group whose first id is `first`: if the journal's file was deleted
    /// or replaced under hookscope, opens the file at its path again (a new one,
    /// or the replacement when its ids end before `first`) and says so; writing on
    /// into an unlinked file would acknowledge records nobody can read.
    pub(super) fn follow_path(&mut self, first: Option<u64>) -> io::Result<()> {
        // The watch first: it answers without a system call nearly always.
        if self.watch.as_mut().is_some_and(|watch| !watch.changed()) {
            return Ok(());
        }
        let (Some(path), Some(known)) = (self.path.clone(), self.identity) else {
            return Ok(());
        };
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
    pub(super) fn keep_bounds(&mut self, group: &[u8]) {
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
    pub(super) fn next_segment(&mut self, path: &Path, first_id: u64) -> io::Result<()> {
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
    pub(super) fn wrote(&mut self, group: &[u8]) {
        self.len += group.len() as u64;
        if self.first_id.is_none() {
            self.first_id = leading_id(group);
            self.started = Some(SystemTime::now());
        }
    }
}

/// The id of a group's first line (`{"id":N,...`).
pub(super) fn leading_id(group: &[u8]) -> Option<u64> {
    let digits = group.strip_prefix(b"{\"id\":")?;
    let end = digits.iter().position(|b| !b.is_ascii_digit())?;
    std::str::from_utf8(&digits[..end]).ok()?.parse().ok()
}
