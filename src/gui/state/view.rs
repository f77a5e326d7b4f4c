//! What the list shows and where the reader is: the filter, the selection and its
//! decoded detail, the order, following new events, the arrival rate.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::events::{Filter, Progress, Store};
use crate::record::{Record, Signature};
use crate::token::Analyze as _;
use crate::token::Verifier;

/// What the list and its filter bar ask for.
#[derive(Debug, Clone, PartialEq)]
pub enum ViewCommand {
    Select(u64),
    /// Moves the selection by this many rows of the visible list (negative: up).
    Move(i64),
    SetFilter {
        text: String,
        signature: Option<Signature>,
        product: Option<crate::truora::Product>,
    },
    /// Show only failed deliveries (the sender got no 2xx).
    SetFailedOnly(bool),
    /// Show only tokens that are not current (`exp`/`nbf`).
    SetTimeProblem(bool),
    SetNewestFirst(bool),
    /// Keep the newest event in view (false: the reader scrolled away).
    SetFollow(bool),
    /// Freeze the list; capture goes on and the events wait.
    SetPaused(bool),
    FocusFilter,
    SetTestProduct(String),
    /// The list of events, or the processes they make.
    ShowTab(Tab),
    /// Select the held event that has this record id (a step of a process).
    SelectRecord(u64),
    /// How the detail shows a body.
    SetBodyView(BodyView),
    /// Times in the list in this machine's time zone (true) or in UTC.
    SetLocalTime(bool),
    /// Compare the selected event with this one (Ctrl+click); `None` stops.
    Compare(Option<u64>),
}

/// How the detail shows a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BodyView {
    /// JSON indented, anything else as it is.
    #[default]
    Pretty,
    Raw,
    Hex,
}

/// What the central panel shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    Events,
    Processes,
}

/// The processes of the shown events, as of one state of the list.
#[derive(Debug, Default)]
pub struct Processes {
    pub list: Arc<Vec<crate::timeline::Process>>,
    /// The list's stamp and the verifier's generation they were built from.
    pub built_from: Option<(u64, usize, usize, u64)>,
    /// A build is under way.
    pub building: bool,
    pub built_at: Option<Instant>,
}

/// The selected event, decoded with the current secrets.
#[derive(Debug, Clone)]
pub struct Detail {
    pub seq: u64,
    pub record: Record,
    generation: u64,
}

/// The reader's view of the events.
pub struct View {
    pub filter_text: String,
    pub filter_signature: Option<Signature>,
    pub filter_product: Option<crate::truora::Product>,
    pub failed_only: bool,
    pub time_problem: bool,
    /// A search of the events' whole text is under way.
    /// A full-text search of the held events is running: how far it is.
    pub searching: Option<Arc<Progress>>,
    /// Why the selected event's record could not be read.
    pub detail_error: Option<(u64, String)>,
    /// The event compared with the selected one, decoded.
    pub compared: Option<Detail>,
    pub selected: Option<u64>,
    pub detail: Option<Detail>,
    pub newest_first: bool,
    /// Keep the newest event in view; paused when the user scrolls away.
    pub follow: bool,
    /// The list is frozen; new events wait until it resumes.
    pub paused: bool,
    /// One frame: give the filter field keyboard focus.
    pub focus_filter: bool,
    /// One frame: scroll the list to the selected row.
    pub scroll_to_selected: bool,
    /// Events that arrived this frame.
    pub arrived: usize,
    /// Events per second over the last seconds, as of the last tick.
    pub rate: f64,
    /// The product *Send test hook* signs.
    pub test_product: String,
    pub tab: Tab,
    pub processes: Processes,
    pub body_view: BodyView,
    /// Times in the list in this machine's time zone, else UTC.
    pub local_time: bool,
    /// The event compared with the selected one.
    pub compare: Option<u64>,
    arrivals: VecDeque<(Instant, usize)>,
    /// When new rows last moved the followed list.
    slid_at: Option<Instant>,
}

/// The window of the events-per-second figure.
const RATE_WINDOW: Duration = Duration::from_secs(5);
/// How long after new rows moved the followed list it counts as sliding.
const SLIDING: Duration = Duration::from_secs(1);

impl View {
    /// A view in this order, sending test hooks of this product.
    pub fn new(newest_first: bool, test_product: String) -> View {
        View {
            filter_text: String::new(),
            filter_signature: None,
            filter_product: None,
            failed_only: false,
            time_problem: false,
            searching: None,
            detail_error: None,
            compared: None,
            selected: None,
            detail: None,
            newest_first,
            follow: true,
            paused: false,
            focus_filter: false,
            scroll_to_selected: false,
            arrived: 0,
            rate: 0.0,
            test_product,
            tab: Tab::Events,
            processes: Processes::default(),
            body_view: BodyView::Pretty,
            local_time: false,
            compare: None,
            arrivals: VecDeque::new(),
            slid_at: None,
        }
    }

    /// Applies a command.
    pub fn handle(&mut self, command: ViewCommand, store: &mut Store) {
        match command {
            ViewCommand::Select(seq) => self.select(Some(seq)),
            ViewCommand::Move(delta) => self.move_selection(delta, store),
            ViewCommand::SetFilter {
                text,
                signature,
                product,
            } => {
                self.filter_text = text;
                self.filter_signature = signature;
                self.filter_product = product;
                self.apply_filter(store);
            }
            ViewCommand::SetFailedOnly(on) => {
                self.failed_only = on;
                self.apply_filter(store);
            }
            ViewCommand::SetTimeProblem(on) => {
                self.time_problem = on;
                self.apply_filter(store);
            }
            ViewCommand::SetNewestFirst(newest_first) => {
                self.newest_first = newest_first;
                self.follow = true;
            }
            ViewCommand::SetFollow(follow) => self.follow = follow,
            ViewCommand::SetPaused(paused) => self.paused = paused,
            ViewCommand::FocusFilter => self.focus_filter = true,
            ViewCommand::SetTestProduct(product) => self.test_product = product,
            ViewCommand::ShowTab(tab) => self.tab = tab,
            ViewCommand::SetBodyView(view) => self.body_view = view,
            ViewCommand::SetLocalTime(local) => self.local_time = local,
            ViewCommand::Compare(seq) => {
                self.compare = seq;
                // Decoded again with the selection's next refresh.
                self.detail = None;
            }
            ViewCommand::SelectRecord(id) => {
                let seq = store
                    .entries()
                    .rev()
                    .find(|e| e.summary.id == id)
                    .map(|e| e.seq);
                if seq.is_some() {
                    self.select(seq);
                }
            }
        }
    }

    fn apply_filter(&mut self, store: &mut Store) {
        store.set_filter(Filter {
            text: self.filter_text.clone(),
            signature: self.filter_signature,
            product: self.filter_product,
            failed_only: self.failed_only,
            time_problem: self.time_problem,
        });
        // The detail never shows an event the filter hides.
        if let Some(seq) = self.selected
            && store.visible().binary_search(&seq).is_err()
        {
            self.deselect();
        }
    }

    fn select(&mut self, seq: Option<u64>) {
        self.selected = seq;
        self.scroll_to_selected = true;
    }

    /// Selects the first hook of an empty window. The list stays where following
    /// puts it: when more came with it, the newest are what shows.
    pub fn select_first(&mut self, seq: u64) {
        self.selected = Some(seq);
    }

    fn move_selection(&mut self, delta: i64, store: &Store) {
        let visible = store.visible();
        if visible.is_empty() {
            return;
        }
        // Rows as drawn: newest first reverses the list.
        let row_of = |i: usize| {
            if self.newest_first {
                visible.len() - 1 - i
            } else {
                i
            }
        };
        let current = self
            .selected
            .and_then(|seq| visible.binary_search(&seq).ok())
            .map(row_of);
        // Without a selection, one step down is the first row and one up the last.
        let start = current.map_or(if delta >= 0 { -1 } else { visible.len() as i64 }, |r| {
            r as i64
        });
        let row = start
            .saturating_add(delta)
            .clamp(0, visible.len() as i64 - 1) as usize;
        let seq = visible[row_of(row)];
        self.follow = false;
        self.select(Some(seq));
    }

    /// Forgets the selection (the list was cleared or replaced).
    pub fn deselect(&mut self) {
        self.selected = None;
        self.detail = None;
        self.detail_error = None;
        self.compared = None;
    }

    /// Decodes the selected event again when the selection or the secrets changed.
    pub fn refresh_detail(&mut self, store: &Store, verifier: &Arc<Verifier>, generation: u64) {
        let Some(seq) = self.selected else {
            self.detail = None;
            return;
        };
        if self
            .detail
            .as_ref()
            .is_some_and(|d| d.seq == seq && d.generation == generation)
            || self.detail.is_none()
                && self
                    .detail_error
                    .as_ref()
                    .is_some_and(|(failed, _)| *failed == seq)
        {
            return;
        }
        let now = crate::token::unix_now();
        let read = |seq: u64| {
            store.record(seq).map(|mut record| {
                record.analyze(verifier, now);
                Detail {
                    seq,
                    record,
                    generation,
                }
            })
        };
        match read(seq) {
            Ok(detail) => {
                self.detail = Some(detail);
                self.detail_error = None;
            }
            Err(err) => {
                self.detail = None;
                self.detail_error = Some((seq, err));
            }
        }
        self.compared = self.compare.and_then(|other| read(other).ok());
    }

    /// Counts the events that arrived this frame and works out the rate.
    pub fn count_arrivals(&mut self, n: usize) {
        let now = Instant::now();
        self.arrived = n;
        if n > 0 {
            self.arrivals.push_back((now, n));
            if self.follow {
                self.slid_at = Some(now);
            }
        }
        while self
            .arrivals
            .front()
            .is_some_and(|(at, _)| now.duration_since(*at) > RATE_WINDOW)
        {
            self.arrivals.pop_front();
        }
        let total: usize = self.arrivals.iter().map(|(_, n)| n).sum();
        self.rate = total as f64 / RATE_WINDOW.as_secs_f64();
    }

    /// Whether new rows moved the followed list within the last second: rows
    /// slide under a pointer that stands still.
    pub fn rows_sliding(&self) -> bool {
        self.slid_at.is_some_and(|at| at.elapsed() < SLIDING)
    }

    /// Whether the processes should be built again now: the tab is shown, and the
    /// list or the secrets changed since the last build (at most twice a second).
    pub fn processes_due(&self, stamp: (u64, usize, usize, u64)) -> bool {
        self.tab == Tab::Processes
            && !self.processes.building
            && self.processes.built_from != Some(stamp)
            && self
                .processes
                .built_at
                .is_none_or(|at| at.elapsed() >= Duration::from_millis(500))
    }

    /// The one-frame requests have been drawn.
    pub fn frame_done(&mut self) {
        self.focus_filter = false;
        self.scroll_to_selected = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_slide_only_while_arrivals_move_a_followed_list() {
        let mut view = View::new(false, String::new());
        assert!(!view.rows_sliding());
        view.count_arrivals(0);
        assert!(!view.rows_sliding(), "nothing arrived");
        view.count_arrivals(3);
        assert!(view.rows_sliding(), "new rows moved the followed list");
        view.count_arrivals(0);
        assert!(view.rows_sliding(), "a frame without news right after");

        let mut paused = View::new(true, String::new());
        paused.follow = false;
        paused.count_arrivals(3);
        assert!(
            !paused.rows_sliding(),
            "not following, the rows under the pointer stay put"
        );
    }
}
