//! The held events and what the list needs of them at once: eviction past a
//! maximum, counts per verdict, deliveries per event id, shapes, the visible rows
//! under the filter, and the verdicts of a re-verification taken in a slice per frame.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::filter::row_holds;
use super::{Entry, Filter, Ingested, Ingester, Lines, Located, Place, Progress};
use crate::record::{Record, Signature, TimeState};
use crate::shapes::Tracker;
use crate::token::{Analyze as _, Verifier};

/// The held events, oldest first, at most `max` of them.
#[derive(Debug)]
pub struct Store {
    entries: VecDeque<Entry>,
    /// The file the events' lines are in.
    lines: Option<Arc<Lines>>,
    next_seq: u64,
    max: usize,
    /// Events that left memory for `max` (still in the journal).
    pub evicted: u64,
    filter: Filter,
    needle: String,
    /// Events whose body, headers or claims hold the needle (a search of their
    /// whole text, which the summary does not keep).
    deep: HashSet<u64>,
    /// Events from this seq on have not been searched for the needle yet.
    searched_to: u64,
    /// Seqs of the entries the filter lets through, ascending.
    visible: VecDeque<u64>,
    counts: [usize; Signature::ALL.len()],
    /// Re-verification after a secret change, while it runs on a job and until its
    /// verdicts are taken in.
    reverify: Option<Arc<Progress>>,
    /// The verdicts of a finished re-verification, taken in a slice per frame.
    verdicts: Option<std::vec::IntoIter<(u64, Signature, TimeState)>>,
    /// The verifications of mails whose DKIM key a re-verification read again:
    /// their detail shows these, not what was journaled.
    rechecked: std::collections::HashMap<u64, crate::record::Verification>,
    /// Held events per event id (by [`hash_of`](crate::shapes::hash_of)).
    deliveries: HashMap<u64, u32>,
    /// The shape seen so far of each kind of event (`type`, `action`).
    shapes: Tracker,
    /// For [`Store::push`].
    ingester: Ingester,
}

fn signature_index(signature: Signature) -> usize {
    Signature::ALL
        .iter()
        .position(|s| *s == signature)
        .unwrap_or_default()
}
impl Store {
    /// An empty store holding at most `max` events.
    pub fn new(max: usize) -> Self {
        Store {
            entries: VecDeque::new(),
            lines: None,
            next_seq: 0,
            max: max.max(1),
            evicted: 0,
            deliveries: HashMap::new(),
            shapes: Tracker::default(),
            filter: Filter::default(),
            needle: String::new(),
            deep: HashSet::new(),
            searched_to: 0,
            visible: VecDeque::new(),
            counts: [0; Signature::ALL.len()],
            reverify: None,
            verdicts: None,
            rechecked: std::collections::HashMap::new(),
            ingester: Ingester::default(),
        }
    }

    /// The file the events' lines are read from (`None`: records are held).
    pub fn set_lines(&mut self, lines: Option<Arc<Lines>>) {
        self.lines = lines;
    }

    /// The file the events' lines are read from.
    pub fn lines(&self) -> Option<&Arc<Lines>> {
        self.lines.as_ref()
    }

    /// Adds a record checked with `verifier`, held in memory (or on `line` of the
    /// store's file); evicts the oldest beyond `max`. The window takes events in
    /// through [`Ingester`] off the UI thread and [`Store::push_ingested`].
    pub fn push(&mut self, record: Record, verifier: &Verifier, now: i64) -> u64 {
        let analysis = record.analysis(verifier, now);
        let ingested = self.ingester.ingest(record, None, Some(analysis));
        self.push_ingested(ingested)
    }

    /// Adds an event worked out by an [`Ingester`]; evicts the oldest beyond `max`.
    pub fn push_ingested(&mut self, ingested: Ingested) -> u64 {
        let Ingested {
            mut summary,
            stored,
            shape,
        } = ingested;
        if let Some(shape) = &shape {
            summary.shape_change = self.shapes.add(summary.id, shape).map(Arc::new);
        }
        if let Some(key) = summary.event_key {
            *self.deliveries.entry(key).or_default() += 1;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.counts[signature_index(summary.signature)] += 1;
        if self.filter.admits(&summary) && row_holds(&summary, &self.needle) {
            self.visible.push_back(seq);
        }
        self.entries.push_back(Entry {
            seq,
            stored,
            summary,
        });
        while self.entries.len() > self.max {
            if let Some(old) = self.entries.pop_front() {
                self.counts[signature_index(old.summary.signature)] -= 1;
                if let Some(key) = old.summary.event_key
                    && let Some(n) = self.deliveries.get_mut(&key)
                {
                    *n -= 1;
                    if *n == 0 {
                        self.deliveries.remove(&key);
                    }
                }
                self.deep.remove(&old.seq);
                self.evicted += 1;
                if self.visible.front() == Some(&old.seq) {
                    self.visible.pop_front();
                }
            }
        }
        seq
    }

    /// Room for `n` more events, sized once: growing by doubling would hold two
    /// copies at the peak.
    pub fn reserve(&mut self, n: usize) {
        self.entries.reserve_exact(n);
        self.visible.reserve_exact(n);
        self.deliveries.reserve(n);
    }

    /// Counts the shape of an event left out for `max`: it still counts for its kind.
    pub fn count_shape(&mut self, ingested: &Ingested) {
        if let Some(shape) = &ingested.shape {
            self.shapes.add(ingested.summary.id, shape);
        }
    }

    /// Changes whenever an event arrives or leaves, or the filter changes what shows.
    pub fn stamp(&self) -> (u64, usize, usize) {
        (self.next_seq, self.entries.len(), self.visible.len())
    }

    /// How many held events carry the event id with this [`hash_of`](crate::shapes::hash_of) (more than
    /// 1: a retry or duplicate).
    pub fn deliveries(&self, key: u64) -> u32 {
        self.deliveries.get(&key).copied().unwrap_or(0)
    }

    /// Forgets every event.
    pub fn clear(&mut self) {
        self.deliveries.clear();
        self.shapes = Tracker::default();
        self.ingester.forget_shapes();
        self.entries.clear();
        self.visible.clear();
        self.deep.clear();
        self.searched_to = self.next_seq;
        self.counts = [0; Signature::ALL.len()];
        self.evicted = 0;
        self.rechecked.clear();
        self.stop_reverify();
    }

    /// The most events held.
    pub fn max(&self) -> usize {
        self.max
    }

    /// How many events are held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no event is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The held events, oldest first.
    pub fn entries(&self) -> impl ExactSizeIterator<Item = &Entry> + DoubleEndedIterator {
        self.entries.iter()
    }

    /// The event with `seq`, if still held.
    pub fn get(&self, seq: u64) -> Option<&Entry> {
        let first = self.entries.front()?.seq;
        self.entries.get(seq.checked_sub(first)? as usize)
    }

    /// The record of the event `seq`, read from its line or cloned from memory,
    /// without its decoded parts. One line is a few kilobytes read by offset.
    pub fn record(&self, seq: u64) -> Result<Record, String> {
        let entry = self
            .get(seq)
            .ok_or_else(|| "that event is no longer held".to_owned())?;
        let located = self.locate([seq]);
        let (_, record) = located
            .iter()
            .next()
            .ok_or_else(|| "that event is no longer held".to_owned())?;
        record.map_err(|err| format!("could not read event {}: {err}", entry.summary.id))
    }

    /// Where the records of `seqs` are, for a job to read.
    pub fn locate(&self, seqs: impl IntoIterator<Item = u64>) -> Located {
        Located {
            lines: self.lines.clone(),
            events: seqs
                .into_iter()
                .filter_map(|seq| self.get(seq))
                .map(|e| Place {
                    seq: e.seq,
                    id: e.summary.id,
                    stored: e.stored.clone(),
                })
                .collect(),
        }
    }

    /// Where the records of every held event are.
    pub fn locate_all(&self) -> Located {
        self.locate(self.entries.iter().map(|e| e.seq))
    }

    /// Where the records of the shown events are.
    pub fn locate_visible(&self) -> Located {
        self.locate(self.visible.iter().copied())
    }

    /// Seqs the filter lets through, oldest first.
    pub fn visible(&self) -> &VecDeque<u64> {
        &self.visible
    }

    /// How many held events have `signature`.
    pub fn count(&self, signature: Signature) -> usize {
        self.counts[signature_index(signature)]
    }

    /// The filter in force.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// Sets the filter and recomputes the visible list.
    pub fn set_filter(&mut self, filter: Filter) {
        let needle = filter.text.trim().to_lowercase();
        if needle != self.needle {
            self.deep.clear();
            self.searched_to = 0;
        }
        self.needle = needle;
        self.filter = filter;
        self.refilter();
    }

    fn refilter(&mut self) {
        let (filter, needle, deep) = (&self.filter, &self.needle, &self.deep);
        self.visible = self
            .entries
            .iter()
            .filter(|e| {
                filter.admits(&e.summary)
                    && (deep.contains(&e.seq) || row_holds(&e.summary, needle))
            })
            .map(|e| e.seq)
            .collect();
    }

    /// The text the filter searches, lowercased (empty: none).
    pub fn needle(&self) -> &str {
        &self.needle
    }

    /// True when events wait to be searched for the needle.
    pub fn search_due(&self) -> bool {
        !self.needle.is_empty() && self.searched_to < self.next_seq
    }

    /// The events not searched for the needle yet whose rows do not show it: what a
    /// full-text search reads next. Counts them as searched.
    pub fn take_unsearched(&mut self) -> Option<Located> {
        if self.needle.is_empty() || self.searched_to >= self.next_seq {
            return None;
        }
        let from = self.searched_to;
        self.searched_to = self.next_seq;
        let needle = &self.needle;
        let seqs: Vec<u64> = self
            .entries
            .iter()
            .filter(|e| e.seq >= from && !row_holds(&e.summary, needle))
            .map(|e| e.seq)
            .collect();
        Some(self.locate(seqs))
    }

    /// The events a full-text search for `needle` found; ignored when the filter
    /// has moved on to another text.
    pub fn add_found(&mut self, needle: &str, seqs: Vec<u64>) {
        if needle != self.needle || seqs.is_empty() {
            return;
        }
        self.deep.extend(seqs);
        self.refilter();
    }

    /// Starts re-verification (after a secret change): what a job reads, and the
    /// progress it reports. An earlier one still running is stopped.
    pub fn start_reverify(&mut self) -> (Located, Arc<Progress>) {
        self.stop_reverify();
        // Newest first: those are the rows on screen.
        let located = self.locate(self.entries.iter().rev().map(|e| e.seq));
        let progress = Progress::new(located.len() as u64);
        self.reverify = Some(progress.clone());
        (located, progress)
    }

    fn stop_reverify(&mut self) {
        if let Some(old) = self.reverify.take() {
            old.stop.store(true, Ordering::Relaxed);
        }
        self.verdicts = None;
    }

    /// Done and total while re-verification runs.
    pub fn reverifying(&self) -> Option<(usize, usize)> {
        self.reverify.as_ref().map(|progress| {
            let (done, total) = progress.get();
            (done as usize, total as usize)
        })
    }

    /// The verdicts a re-verification worked out (the seq of each event, its
    /// signature and time state), if it is the one in progress: they are taken in
    /// by [`Store::take_verdicts`], a slice per frame.
    pub fn reverified(&mut self, progress: &Arc<Progress>, verdicts: super::Verdicts) {
        if self
            .reverify
            .as_ref()
            .is_some_and(|current| Arc::ptr_eq(current, progress))
        {
            self.verdicts = Some(verdicts.rows.into_iter());
            self.rechecked.extend(verdicts.mails);
        }
    }

    /// The verification a re-verification found for the mail `seq`, if its DKIM
    /// key was read again.
    pub fn rechecked(&self, seq: u64) -> Option<&crate::record::Verification> {
        self.rechecked.get(&seq)
    }

    /// Takes in waiting verdicts until `budget` runs out; true when none are left
    /// (re-verification is then over).
    pub fn take_verdicts(&mut self, budget: std::time::Duration) -> bool {
        let Some(verdicts) = &mut self.verdicts else {
            return true;
        };
        let started = std::time::Instant::now();
        let first = self.entries.front().map_or(0, |e| e.seq);
        let mut left = true;
        while left {
            for _ in 0..4096 {
                let Some((seq, signature, time_state)) = verdicts.next() else {
                    left = false;
                    break;
                };
                let Some(entry) = seq
                    .checked_sub(first)
                    .and_then(|at| self.entries.get_mut(at as usize))
                else {
                    continue;
                };
                self.counts[signature_index(entry.summary.signature)] -= 1;
                self.counts[signature_index(signature)] += 1;
                entry.summary.signature = signature;
                entry.summary.time_state = time_state;
            }
            if started.elapsed() >= budget {
                break;
            }
        }
        if left {
            return false;
        }
        self.verdicts = None;
        self.reverify = None;
        // Only the verdict and the time state changed: the list changes only when
        // the filter looks at them.
        if self.filter.signature.is_some() || self.filter.time_problem {
            self.refilter();
        }
        true
    }
}
