//! The window's files: the journal read back at start, captures opened, exports,
//! the in-app file dialog (with the system dialog as a shortcut), and clearing the
//! journal. Reading and writing run as jobs: a capture is read into a whole new
//! store, with its progress shown, and exports read the records by offset.

use crate::segments::Retention;
use std::path::PathBuf;
use std::sync::Arc;

use super::Notice;
use super::jobs::{Inbox, Jobs};
use crate::events::{Located, Opened, Progress, Store};
use crate::export::Format;
use crate::token::Analyze as _;
use crate::token::Verifier;

/// What the file dialog asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum FilesCommand {
    ShowExport,
    /// Export one event (the row menu): its seq, and its id; a mail's raw
    /// message (`mail`: as `.eml`).
    ExportEvent {
        seq: u64,
        id: u64,
        mail: bool,
    },
    ShowOpen,
    /// The dialog's path or "only the filtered events" changed.
    EditDialog {
        path: String,
        only_filtered: bool,
    },
    Browse,
    /// Export or open, as the dialog says.
    Run,
    Close,
}

/// What the file commands need from the rest of the window.
pub struct Context<'a> {
    pub jobs: &'a Jobs,
    /// The secrets an opened capture's events are checked with, and an export's
    /// decoded with.
    pub verifier: Arc<Verifier>,
    /// The most events an opened capture keeps.
    pub max: usize,
    /// The listener's own address, which starts HAR URLs.
    pub origin: String,
    /// A filter is set: an export offers only the shown events.
    pub filtering: bool,
}

/// Export or open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileMode {
    Export,
    Open,
}

/// The in-app file dialog: always usable, with a system dialog as a shortcut.
#[derive(Debug, Clone, PartialEq)]
pub struct FileDialog {
    pub mode: FileMode,
    pub path: String,
    pub only_filtered: bool,
    /// Export this one event (its seq, and its id for the words), not a list.
    pub event: Option<(u64, u64)>,
    pub browsing: bool,
    /// An export or an open is under way: the dialog stays until it is done.
    pub working: bool,
    /// Why the last export or open failed, shown in the dialog.
    pub error: Option<String>,
}

/// The events an export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    One(u64),
    Shown,
    All,
}

/// The files the window reads and writes.
pub struct Files {
    pub dialog: Option<FileDialog>,
    /// The journal (the app's data folder, or `--out`).
    pub journal_path: Option<PathBuf>,
    /// How many MiB the journal keeps (`None`: everything), as the setting says.
    pub keep_mib: Option<u64>,
    /// The bounds the command line set for this run, which the setting does not change.
    pub keep_given: Option<Retention>,
    /// The file a capture was opened from, while it is shown.
    pub opened_from: Option<PathBuf>,
    /// A capture is being read (live events wait, so the order holds): how far.
    pub loading: Option<Arc<Progress>>,
    /// Clear was pressed while a read was under way: drop what it brings.
    cancelled: bool,
    /// What the files' jobs report.
    inbox: Inbox<Report>,
}

impl Files {
    /// The files of a window journaling to `journal_path`.
    pub fn new(journal_path: Option<PathBuf>) -> Files {
        Files {
            dialog: None,
            journal_path,
            keep_mib: Some(super::startup::JOURNAL_KEEP_MIB),
            keep_given: None,
            opened_from: None,
            loading: None,
            cancelled: false,
            inbox: Inbox::default(),
        }
    }

    /// The bounds the journal keeps now: the command line's, or the setting's.
    pub fn retention(&self) -> Retention {
        self.keep_given.unwrap_or(Retention {
            size: self.keep_mib.map(|mib| mib.saturating_mul(1 << 20)),
            age: None,
        })
    }

    /// Applies a command. `locate` gives the events an export writes: one, the
    /// shown ones, or all held.
    pub fn handle(
        &mut self,
        command: FilesCommand,
        cx: Context<'_>,
        locate: impl FnOnce(Which) -> Located,
    ) {
        match command {
            FilesCommand::ShowExport => {
                let name = format!("hookscope-{}.ndjson", jiff::Timestamp::now().as_second());
                self.dialog = Some(FileDialog {
                    mode: FileMode::Export,
                    path: default_dir().join(name).display().to_string(),
                    only_filtered: cx.filtering,
                    event: None,
                    browsing: false,
                    working: false,
                    error: None,
                });
            }
            FilesCommand::ExportEvent { seq, id, mail } => {
                let name = match mail {
                    true => format!("mail-{id}.eml"),
                    false => format!("hookscope-event-{id}.ndjson"),
                };
                self.dialog = Some(FileDialog {
                    mode: FileMode::Export,
                    path: default_dir().join(name).display().to_string(),
                    only_filtered: false,
                    event: Some((seq, id)),
                    browsing: false,
                    working: false,
                    error: None,
                });
            }
            FilesCommand::ShowOpen => {
                let path = self
                    .journal_path
                    .clone()
                    .unwrap_or_else(|| default_dir().join("capture.ndjson"));
                self.dialog = Some(FileDialog {
                    mode: FileMode::Open,
                    path: path.display().to_string(),
                    only_filtered: false,
                    event: None,
                    browsing: false,
                    working: false,
                    error: None,
                });
            }
            FilesCommand::EditDialog {
                path,
                only_filtered,
            } => {
                if let Some(dialog) = &mut self.dialog {
                    dialog.path = path;
                    dialog.only_filtered = only_filtered;
                }
            }
            FilesCommand::Browse => self.browse(cx.jobs),
            FilesCommand::Run => self.run_dialog(cx, locate),
            FilesCommand::Close => self.dialog = None,
        }
    }

    /// Reads `path` into a store of at most `max` events on a job, checking each
    /// event with `verifier`; `restore`: it is the journal, read back at start.
    pub fn load(
        &mut self,
        path: PathBuf,
        restore: bool,
        jobs: &Jobs,
        verifier: Arc<Verifier>,
        max: usize,
    ) {
        if let Some(earlier) = self.loading.take() {
            earlier
                .stop
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
        let progress = Progress::new(0);
        self.loading = Some(progress.clone());
        jobs.spawn("hookscope-read-capture", &self.inbox, move |_| {
            let result = if restore && !path.exists() {
                // A first start: no journal yet.
                Ok(Box::new(Opened {
                    store: Store::new(max),
                    records: 0,
                    problems: Vec::new(),
                }))
            } else {
                crate::events::open(&path, max, &verifier, &progress)
                    .map(Box::new)
                    .map_err(|err| err.to_string())
            };
            Report::Loaded {
                path,
                restore,
                result,
                progress,
            }
        });
    }

    /// A read finished. Returns the notice to show, and the store read (the
    /// journal's events, or a capture opened to show instead of the live one).
    fn loaded(
        &mut self,
        path: PathBuf,
        restore: bool,
        result: Result<Box<Opened>, String>,
        progress: &Arc<Progress>,
    ) -> (Option<Notice>, Option<Store>) {
        if !self
            .loading
            .as_ref()
            .is_some_and(|current| Arc::ptr_eq(current, progress))
        {
            // A newer read replaced this one.
            return (None, None);
        }
        self.loading = None;
        if std::mem::take(&mut self.cancelled) {
            return (None, None);
        }
        let opened = match result {
            Ok(opened) => opened,
            Err(err) => {
                let what = if restore { "restore" } else { "open" };
                return (
                    Some(Notice::error(format!(
                        "could not {what} {}: {err}",
                        path.display()
                    ))),
                    None,
                );
            }
        };
        let bad = opened.problems.first().map(|first| {
            format!(
                "skipping {} bad line(s), first: {first}",
                opened.problems.len()
            )
        });
        if restore {
            let notice = bad.map(|bad| Notice::error(format!("restored the journal, {bad}")));
            return (notice, Some(opened.store));
        }
        self.opened_from = Some(path.clone());
        let mut text = format!("opened {} events from {}", opened.records, path.display());
        if let Some(bad) = &bad {
            text.push_str(&format!("; {bad}"));
        }
        let notice = if bad.is_some() {
            Notice::error(text)
        } else {
            Notice::info(text)
        };
        (Some(notice), Some(opened.store))
    }

    /// Drops what a read under way will bring (Clear was pressed).
    pub fn clear_loading(&mut self) {
        self.cancelled = self.loading.is_some();
        self.opened_from = None;
    }

    /// Empties the journal file on a job: through the journal when it is open, so
    /// the lines written next are known to start at the beginning; else the file.
    pub fn clear_journal(&self, jobs: &Jobs, journal: Option<crate::capture::Journal>) {
        if let Some(path) = self.journal_path.clone() {
            jobs.spawn("hookscope-clear", &self.inbox, move |_| {
                let cleared = match journal {
                    Some(journal) => journal.truncate(),
                    None => std::fs::OpenOptions::new()
                        .write(true)
                        .open(&path)
                        .and_then(|file| file.set_len(0)),
                };
                Report::Cleared(cleared.map(|()| path.clone()).map_err(|err| {
                    format!("could not clear the journal {}: {err}", path.display())
                }))
            });
        }
    }

    /// The system dialog answered (or had nothing to offer).
    fn browsed(&mut self, picked: Option<PathBuf>) -> Option<Notice> {
        let dialog = self.dialog.as_mut()?;
        dialog.browsing = false;
        match picked {
            Some(path) => {
                dialog.path = path.display().to_string();
                None
            }
            None => Some(Notice::info(
                "no file chosen (no system file dialog here?): type the path in the field",
            )),
        }
    }

    fn browse(&mut self, jobs: &Jobs) {
        let Some(dialog) = self.dialog.as_mut() else {
            return;
        };
        dialog.browsing = true;
        let mode = dialog.mode;
        let current = PathBuf::from(&dialog.path);
        // rfd blocks until a person answers (or returns at once without a portal).
        jobs.spawn("hookscope-file-dialog", &self.inbox, move |_| {
            let mut picker =
                rfd::FileDialog::new().add_filter("captures", &["ndjson", "jsonl", "json", "har"]);
            if let Some(dir) = current.parent() {
                picker = picker.set_directory(dir);
            }
            if let Some(name) = current.file_name().and_then(|n| n.to_str()) {
                picker = picker.set_file_name(name);
            }
            Report::Browsed(match mode {
                FileMode::Export => picker.save_file(),
                FileMode::Open => picker.pick_file(),
            })
        });
    }

    fn run_dialog(&mut self, cx: Context<'_>, locate: impl FnOnce(Which) -> Located) {
        let Some(dialog) = self.dialog.as_mut() else {
            return;
        };
        dialog.error = None;
        let dialog = dialog.clone();
        let path = PathBuf::from(dialog.path.trim());
        match dialog.mode {
            FileMode::Open => self.load(path, false, cx.jobs, cx.verifier, cx.max),
            FileMode::Export => {
                let Some(format) = Format::from_path(&path) else {
                    if let Some(dialog) = &mut self.dialog {
                        dialog.error = Some(
                            "name the file .ndjson, .json, .har (or .eml for one mail): the extension picks the format"
                                .to_owned(),
                        );
                    }
                    return;
                };
                let (located, verifier, origin) = (
                    locate(match (dialog.event, dialog.only_filtered) {
                        (Some((seq, _)), _) => Which::One(seq),
                        (None, true) => Which::Shown,
                        (None, false) => Which::All,
                    }),
                    cx.verifier,
                    cx.origin,
                );
                cx.jobs.spawn("hookscope-export", &self.inbox, move |_| {
                    let now = crate::token::unix_now();
                    let n = located.len();
                    // Read, decoded and written one at a time: never all in memory.
                    let records = located.iter().map(|(_, record)| {
                        record.map(|mut record| {
                            record.analyze(&verifier, now);
                            record
                        })
                    });
                    Report::Exported(
                        crate::export::write_atomic(&path, format, records, &origin)
                            .map(|()| (path.clone(), n))
                            .map_err(|err| {
                                format!("could not export to {}: {err}", path.display())
                            }),
                    )
                });
            }
        }
        // The dialog stays, busy, until the job says how it went.
        if let Some(dialog) = &mut self.dialog {
            dialog.working = true;
        }
    }

    /// Takes in what the files' jobs reported: the notices to show, and the stores
    /// read (`true`: the journal restored; `false`: a capture opened to show
    /// instead of the live one).
    pub fn take_reports(&mut self) -> (Vec<Notice>, Vec<(Store, bool)>) {
        let (mut notices, mut stores) = (Vec::new(), Vec::new());
        for report in self.inbox.take() {
            let (notice, store) = self.finish(report);
            notices.extend(notice);
            stores.extend(store);
        }
        (notices, stores)
    }

    fn finish(&mut self, report: Report) -> (Option<Notice>, Option<(Store, bool)>) {
        match report {
            Report::Loaded {
                path,
                restore,
                result,
                progress,
            } => {
                if !restore {
                    self.dialog_done(
                        result
                            .as_ref()
                            .err()
                            .map(|e| format!("could not open it: {e}")),
                    );
                }
                let (notice, store) = self.loaded(path, restore, result, &progress);
                (notice, store.map(|store| (store, restore)))
            }
            Report::Browsed(picked) => (self.browsed(picked), None),
            Report::Exported(Err(text)) => {
                // Said in the dialog, which stays open to try another path.
                self.dialog_done(Some(text));
                (None, None)
            }
            Report::Exported(Ok((path, n))) => {
                self.dialog_done(None);
                let text = format!("exported {n} events to {}", path.display());
                (Some(Notice::info(text)), None)
            }
            Report::Cleared(Ok(path)) => {
                let text = format!("cleared; the journal {} is empty", path.display());
                (Some(Notice::info(text)), None)
            }
            Report::Cleared(Err(text)) => (Some(Notice::error(text)), None),
        }
    }

    /// An export or an open from the dialog finished: close it, or show why not.
    pub fn dialog_done(&mut self, error: Option<String>) {
        match (error, &mut self.dialog) {
            (Some(error), Some(dialog)) if dialog.working => {
                dialog.working = false;
                dialog.error = Some(error);
            }
            (_, Some(dialog)) if dialog.working => self.dialog = None,
            _ => {}
        }
    }
}

/// What a job of the files reports.
pub enum Report {
    /// A capture file was read: the journal at start (`restore`) or one opened.
    Loaded {
        path: PathBuf,
        restore: bool,
        result: Result<Box<Opened>, String>,
        /// The read's progress, which names it.
        progress: Arc<Progress>,
    },
    /// The journal was emptied.
    Cleared(Result<PathBuf, String>),
    Exported(Result<(PathBuf, usize), String>),
    Browsed(Option<PathBuf>),
}

/// Where dialogs start: the home folder, else the temporary one.
fn default_dir() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .filter(|home| home.is_dir())
        .unwrap_or_else(std::env::temp_dir)
}
