//! The window's files: the journal read back at start, captures opened, exports,
//! the in-app file dialog (with the system dialog as a shortcut), and clearing the
//! journal. Reading and writing run as jobs; records read back enter the list from
//! a backlog, in per-frame slices.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;

use super::Notice;
use super::jobs::{Done, Jobs};
use crate::export::{Format, Loaded};
use crate::record::Record;
use crate::token::Verifier;

/// What the file dialog asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum FilesCommand {
    ShowExport,
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
    pub browsing: bool,
    /// An export or an open is under way: the dialog stays until it is done.
    pub working: bool,
    /// Why the last export or open failed, shown in the dialog.
    pub error: Option<String>,
}

/// What is waiting to enter the list.
#[derive(Debug, Default)]
pub struct Backlog {
    pub records: VecDeque<Record>,
    /// A read is under way: live events wait so that the order holds.
    pub loading: bool,
    /// Clear was pressed while a read was under way: drop what it brings.
    cancelled: bool,
}

/// The files the window reads and writes.
pub struct Files {
    pub dialog: Option<FileDialog>,
    /// The journal (the app's data folder, or `--out`).
    pub journal_path: Option<PathBuf>,
    /// The file a capture was opened from, while it is shown.
    pub opened_from: Option<PathBuf>,
    pub backlog: Backlog,
}

impl Files {
    /// The files of a window journaling to `journal_path`.
    pub fn new(journal_path: Option<PathBuf>) -> Files {
        Files {
            dialog: None,
            journal_path,
            opened_from: None,
            backlog: Backlog::default(),
        }
    }

    /// Applies a command. `records` are what an export writes (all held events, or
    /// the filtered ones, chosen by [`Files::export_scope`]).
    pub fn handle(
        &mut self,
        command: FilesCommand,
        jobs: &Jobs,
        export: impl FnOnce(bool) -> (Vec<Arc<Record>>, Arc<Verifier>, String),
        filtering: bool,
    ) {
        match command {
            FilesCommand::ShowExport => {
                let name = format!(
                    "hookscope-{}.ndjson",
                    time::OffsetDateTime::now_utc().unix_timestamp()
                );
                self.dialog = Some(FileDialog {
                    mode: FileMode::Export,
                    path: default_dir().join(name).display().to_string(),
                    only_filtered: filtering,
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
            FilesCommand::Browse => self.browse(jobs),
            FilesCommand::Run => self.run_dialog(jobs, export),
            FilesCommand::Close => self.dialog = None,
        }
    }

    /// Reads `path` on a job; `restore`: it is the journal, read back at start.
    pub fn load(&mut self, path: PathBuf, restore: bool, jobs: &Jobs) {
        self.backlog.loading = true;
        jobs.spawn("hookscope-read-capture", move |_| {
            let result = if restore && !path.exists() {
                // A first start: no journal yet.
                Ok(Loaded::default())
            } else {
                crate::export::load(&path).map_err(|err| err.to_string())
            };
            Done::Loaded {
                path,
                restore,
                result,
            }
        });
    }

    /// A read finished: its records join the backlog. Returns the notice to show,
    /// and whether the list should be emptied first (an opened capture replaces it).
    pub fn loaded(
        &mut self,
        path: PathBuf,
        restore: bool,
        result: Result<Loaded, String>,
        max: usize,
    ) -> (Option<Notice>, bool, u64) {
        self.backlog.loading = false;
        if std::mem::take(&mut self.backlog.cancelled) {
            return (None, false, 0);
        }
        let loaded = match result {
            Ok(loaded) => loaded,
            Err(err) => {
                let what = if restore { "restore" } else { "open" };
                return (
                    Some(Notice::error(format!(
                        "could not {what} {}: {err}",
                        path.display()
                    ))),
                    false,
                    0,
                );
            }
        };
        let n = loaded.records.len();
        let skip = n.saturating_sub(max);
        self.backlog
            .records
            .extend(loaded.records.into_iter().skip(skip));
        let bad = loaded.problems.first().map(|first| {
            format!(
                "skipping {} bad line(s), first: {first}",
                loaded.problems.len()
            )
        });
        if restore {
            let notice = bad.map(|bad| Notice::error(format!("restored the journal, {bad}")));
            return (notice, false, skip as u64);
        }
        self.opened_from = Some(path.clone());
        let mut text = format!("opened {n} events from {}", path.display());
        if let Some(bad) = &bad {
            text.push_str(&format!("; {bad}"));
        }
        let notice = Notice {
            error: bad.is_some(),
            text,
        };
        (Some(notice), true, skip as u64)
    }

    /// Empties the backlog, and drops what a read under way will bring.
    pub fn clear_backlog(&mut self) {
        self.backlog.cancelled = self.backlog.loading;
        self.backlog.records.clear();
        self.opened_from = None;
    }

    /// Empties the journal file on a job.
    pub fn clear_journal(&self, jobs: &Jobs) {
        if let Some(path) = self.journal_path.clone() {
            jobs.spawn("hookscope-clear", move |_| {
                let cleared = std::fs::OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .and_then(|file| file.set_len(0));
                Done::Cleared(cleared.map(|()| path.clone()).map_err(|err| {
                    format!("could not clear the journal {}: {err}", path.display())
                }))
            });
        }
    }

    /// The system dialog answered (or had nothing to offer).
    pub fn browsed(&mut self, picked: Option<PathBuf>) -> Option<Notice> {
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
        jobs.spawn("hookscope-file-dialog", move |_| {
            let mut picker =
                rfd::FileDialog::new().add_filter("captures", &["ndjson", "jsonl", "json", "har"]);
            if let Some(dir) = current.parent() {
                picker = picker.set_directory(dir);
            }
            if let Some(name) = current.file_name().and_then(|n| n.to_str()) {
                picker = picker.set_file_name(name);
            }
            Done::Browsed(match mode {
                FileMode::Export => picker.save_file(),
                FileMode::Open => picker.pick_file(),
            })
        });
    }

    fn run_dialog(
        &mut self,
        jobs: &Jobs,
        export: impl FnOnce(bool) -> (Vec<Arc<Record>>, Arc<Verifier>, String),
    ) {
        let Some(dialog) = self.dialog.as_mut() else {
            return;
        };
        dialog.error = None;
        let dialog = dialog.clone();
        let path = PathBuf::from(dialog.path.trim());
        match dialog.mode {
            FileMode::Open => self.load(path, false, jobs),
            FileMode::Export => {
                let Some(format) = Format::from_path(&path) else {
                    if let Some(dialog) = &mut self.dialog {
                        dialog.error = Some(
                            "name the file .ndjson, .json or .har: the extension picks the format"
                                .to_owned(),
                        );
                    }
                    return;
                };
                let (records, verifier, origin) = export(dialog.only_filtered);
                jobs.spawn("hookscope-export", move |_| {
                    let now = crate::token::unix_now();
                    let full: Vec<Record> =
                        records.iter().map(|r| r.analyzed(&verifier, now)).collect();
                    Done::Exported(
                        crate::export::write_atomic(&path, format, &full, &origin)
                            .map(|()| (path.clone(), full.len()))
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

/// Where dialogs start: the home folder, else the temporary one.
fn default_dir() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .filter(|home| home.is_dir())
        .unwrap_or_else(std::env::temp_dir)
}
