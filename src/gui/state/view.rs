//! What the list shows and where the reader is: the filter, the selection and its
//! decoded detail, the order, following new events, the arrival rate.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::jobs::Inbox;
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
    /// Every filter off: the whole list.
    ResetFilters,
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
    /// Show event `seq`'s token and body whole, not only their start.
    ShowAll(u64),
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
    /// What another provider's scheme signed, in words (`None`: no such scheme).
    pub signed: Option<String>,
    generation: u64,
}

/// The selected event, the one compared with it, and how its detail shows.
#[derive(Debug, Default)]
pub struct Selection {
    pub selected: Option<u64>,
    pub detail: Option<Detail>,
    /// Why the selected event's record could not be read.
    pub detail_error: Option<(u64, String)>,
    /// The event compared with the selected one (Ctrl+click), and it decoded.
    pub compare: Option<u64>,
    pub compared: Option<Detail>,
    pub body_view: BodyView,
    /// The event whose token and body are shown whole (others show their start).
    pub show_all: Option<u64>,
    /// One frame: scroll the list to the selected row.
    pub scroll_to_selected: bool,
    /// The selected event while a filter hides it: selected again once shown.
    pub hidden: Option<u64>,
}

/// How the list is laid out and moves.
#[derive(Debug)]
pub struct ListView {
    pub newest_first: bool,
    /// Keep the newest event in view; paused when the user scrolls away.
    pub follow: bool,
    /// The list is frozen; new events wait until it resumes.
    pub paused: bool,
    /// One frame: give the filter field keyboard focus.
    pub focus_filter: bool,
    /// Times in the list in this machine's time zone, else UTC.
    pub local_time: bool,
    pub tab: Tab,
    /// The product *Send test hook* signs.
    pub test_product: String,
}

/// How fast events arrive, and whether new rows are moving the list.
#[derive(Debug, Default)]
pub struct Arrivals {
    /// Events that arrived this frame.
    pub arrived: usize,
    /// Events per second over the last seconds, as of the last tick.
    pub rate: f64,
    recent: VecDeque<(Instant, usize)>,
    /// When new rows last moved the followed list.
    slid_at: Option<Instant>,
}

/// The reader's view of the events: the parts it is made of. The filter is the
/// shown store's own ([`Store::filter`]).
pub struct View {
    pub selection: Selection,
    pub list: ListView,
    pub arrivals: Arrivals,
    pub processes: Processes,
    /// A full-text search of the held events is running: how far it is.
    pub searching: Option<Arc<Progress>>,
    /// What the view's jobs report (searches, re-verifications, processes).
    pub inbox: Inbox<Report>,
}

/// What a job of the view reports.
pub enum Report {
    /// The events whose body, headers or claims hold this (lowercased) text.
    /// The search's progress names it.
    Searched(String, Vec<u64>, Arc<Progress>),
    /// Re-verification finished (`None`: newer work stopped it): each event's
    /// seq, signature and time state.
    Reverified(Arc<Progress>, Option<crate::events::Verdicts>),
    /// The processes of the shown events, built from this stamp.
    Timeline((u64, usize, usize, u64), Vec<crate::timeline::Process>),
}

/// The window of the events-per-second figure.
const RATE_WINDOW: Duration = Duration::from_secs(5);
/// How long after new rows moved the followed list it counts as sliding.
const SLIDING: Duration = Duration::from_secs(1);

impl View {
    /// A view in this order, sending test hooks of this product.
    pub fn new(newest_first: bool, test_product: String) -> View {
        View {
            selection: Selection::default(),
            list: ListView {
                newest_first,
                follow: true,
                paused: false,
                focus_filter: false,
                local_time: false,
                tab: Tab::Events,
                test_product,
            },
            arrivals: Arrivals::default(),
            processes: Processes::default(),
            searching: None,
            inbox: Inbox::default(),
        }
    }

    /// Applies a command.
    pub fn handle(&mut self, command: ViewCommand, store: &mut Store) {
        let list = &mut self.list;
        match command {
            ViewCommand::Select(seq) => self.selection.select(Some(seq)),
            ViewCommand::Move(delta) => {
                if self.selection.move_by(delta, store, list.newest_first) {
                    list.follow = false;
                }
            }
            ViewCommand::SetFilter {
                text,
                signature,
                product,
            } => self.filter(store, |filter| {
                filter.text = text;
                filter.signature = signature;
                filter.product = product;
            }),
            ViewCommand::SetFailedOnly(on) => self.filter(store, |f| f.failed_only = on),
            ViewCommand::ResetFilters => self.filter(store, |f| *f = Filter::default()),
            ViewCommand::SetTimeProblem(on) => self.filter(store, |f| f.time_problem = on),
            ViewCommand::SetNewestFirst(newest_first) => {
                list.newest_first = newest_first;
                list.follow = true;
            }
            ViewCommand::SetFollow(follow) => list.follow = follow,
            ViewCommand::SetPaused(paused) => list.paused = paused,
            ViewCommand::FocusFilter => list.focus_filter = true,
            ViewCommand::SetTestProduct(product) => list.test_product = product,
            ViewCommand::ShowTab(tab) => list.tab = tab,
            ViewCommand::SetBodyView(view) => self.selection.body_view = view,
            ViewCommand::ShowAll(seq) => self.selection.show_all = Some(seq),
            ViewCommand::SetLocalTime(local) => list.local_time = local,
            ViewCommand::Compare(seq) => {
                self.selection.compare = seq;
                // Decoded again with the selection's next refresh.
                self.selection.detail = None;
            }
            ViewCommand::SelectRecord(id) => {
                let seq = store
                    .entries()
                    .rev()
                    .find(|e| e.summary.id == id)
                    .map(|e| e.seq);
                if seq.is_some() {
                    self.selection.select(seq);
                }
            }
        }
    }

    /// Changes the shown store's filter with `change`.
    fn filter(&mut self, store: &mut Store, change: impl FnOnce(&mut Filter)) {
        let mut filter = store.filter().clone();
        change(&mut filter);
        store.set_filter(filter);
        self.selection.follow_filter(store);
    }

    /// Forgets the selection (the list was cleared or replaced).
    pub fn deselect(&mut self) {
        self.selection.deselect();
    }

    /// Takes in what the view's jobs reported, into the view and the shown `store`.
    pub fn take_reports(&mut self, store: &mut Store) {
        for report in self.inbox.take() {
            self.finish(report, store);
        }
    }

    fn finish(&mut self, report: Report, store: &mut Store) {
        match report {
            Report::Searched(needle, found, progress) => {
                // A search stopped for a newer one leaves that one running.
                if self
                    .searching
                    .as_ref()
                    .is_some_and(|current| Arc::ptr_eq(current, &progress))
                {
                    self.searching = None;
                }
                store.add_found(&needle, found);
                self.selection.follow_filter(store);
            }
            Report::Reverified(progress, Some(verdicts)) => {
                // A mail shown whose DKIM key was read again is read again too.
                if let Some(detail) = &self.selection.detail
                    && verdicts.mails.iter().any(|(seq, _)| *seq == detail.seq)
                {
                    self.selection.detail = None;
                }
                store.reverified(&progress, verdicts);
            }
            Report::Reverified(_, None) => {}
            Report::Timeline(stamp, list) => {
                let processes = &mut self.processes;
                processes.list = Arc::new(list);
                processes.built_from = Some(stamp);
                processes.building = false;
                processes.built_at = Some(Instant::now());
            }
        }
    }

    /// Whether the processes should be built again now: the tab is shown, and the
    /// list or the secrets changed since the last build (at most twice a second).
    pub fn processes_due(&self, stamp: (u64, usize, usize, u64)) -> bool {
        self.list.tab == Tab::Processes
            && !self.processes.building
            && self.processes.built_from != Some(stamp)
            && self
                .processes
                .built_at
                .is_none_or(|at| at.elapsed() >= Duration::from_millis(500))
    }

    /// Counts the events that arrived this frame and works out the rate.
    pub fn count_arrivals(&mut self, n: usize) {
        self.arrivals.count(n, self.list.follow);
    }

    /// The one-frame requests have been drawn.
    pub fn frame_done(&mut self) {
        self.list.focus_filter = false;
        self.selection.scroll_to_selected = false;
    }
}

impl Selection {
    fn select(&mut self, seq: Option<u64>) {
        self.selected = seq;
        self.hidden = None;
        self.scroll_to_selected = true;
    }

    /// Selects the first hook of an empty window. The list stays where following
    /// puts it: when more came with it, the newest are what shows.
    pub fn select_first(&mut self, seq: u64) {
        self.selected = Some(seq);
    }

    /// Moves the selection by `delta` rows of the visible list as drawn; true when
    /// it moved.
    fn move_by(&mut self, delta: i64, store: &Store, newest_first: bool) -> bool {
        let visible = store.visible();
        if visible.is_empty() {
            return false;
        }
        // Rows as drawn: newest first reverses the list.
        let row_of = |i: usize| {
            if newest_first {
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
        self.select(Some(visible[row_of(row)]));
        true
    }

    /// Forgets the selection.
    pub fn deselect(&mut self) {
        self.selected = None;
        self.hidden = None;
        self.detail = None;
        self.detail_error = None;
        self.compared = None;
    }

    /// After the visible list changed: the detail never shows an event the filter
    /// hides, and the event it hid comes back selected once it shows again.
    pub fn follow_filter(&mut self, store: &Store) {
        let shown = |seq: u64| store.visible().binary_search(&seq).is_ok();
        if let Some(seq) = self.selected
            && !shown(seq)
        {
            self.deselect();
            self.hidden = Some(seq);
        } else if let Some(seq) = self.hidden
            && shown(seq)
        {
            self.hidden = None;
            self.select(Some(seq));
        } else if self.hidden.is_some_and(|seq| store.get(seq).is_none()) {
            // Evicted meanwhile: nothing to come back to.
            self.hidden = None;
        }
    }

    /// Selects `seq` again (an opened capture was left for the live one) when it is
    /// still held and shown; else what a filter hides of it is kept.
    pub fn restore(&mut self, seq: Option<u64>, store: &Store) {
        self.deselect();
        if let Some(seq) = seq.filter(|seq| store.get(*seq).is_some()) {
            self.hidden = Some(seq);
            self.follow_filter(store);
        }
    }

    /// Decodes the selected event again when the selection or the secrets changed.
    pub fn refresh(&mut self, store: &Store, verifier: &Arc<Verifier>, generation: u64) {
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
                // A mail whose DKIM key was read again shows that verdict.
                if let Some(verification) = store.rechecked(seq) {
                    record.verification = verification.clone();
                }
                Detail {
                    seq,
                    signed: crate::schemes::signed_words(&record),
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
}

impl Arrivals {
    /// Counts the `n` events that arrived this frame (moving the list when it
    /// `follows`) and works out the rate.
    fn count(&mut self, n: usize, follows: bool) {
        let now = Instant::now();
        self.arrived = n;
        if n > 0 {
            self.recent.push_back((now, n));
            if follows {
                self.slid_at = Some(now);
            }
        }
        while self
            .recent
            .front()
            .is_some_and(|(at, _)| now.duration_since(*at) > RATE_WINDOW)
        {
            self.recent.pop_front();
        }
        let total: usize = self.recent.iter().map(|(_, n)| n).sum();
        self.rate = total as f64 / RATE_WINDOW.as_secs_f64();
    }

    /// Whether new rows moved the followed list within the last second: rows
    /// slide under a pointer that stands still.
    pub fn rows_sliding(&self) -> bool {
        self.slid_at.is_some_and(|at| at.elapsed() < SLIDING)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_slide_only_while_arrivals_move_a_followed_list() {
        let mut view = View::new(false, String::new());
        assert!(!view.arrivals.rows_sliding());
        view.count_arrivals(0);
        assert!(!view.arrivals.rows_sliding(), "nothing arrived");
        view.count_arrivals(3);
        assert!(
            view.arrivals.rows_sliding(),
            "new rows moved the followed list"
        );
        view.count_arrivals(0);
        assert!(
            view.arrivals.rows_sliding(),
            "a frame without news right after"
        );

        let mut paused = View::new(true, String::new());
        paused.list.follow = false;
        paused.count_arrivals(3);
        assert!(
            !paused.arrivals.rows_sliding(),
            "not following, the rows under the pointer stay put"
        );
    }
}
