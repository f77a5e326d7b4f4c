//! The events the window holds: a compact summary per event for the list, the
//! request itself for details (decoded again when selected), filters, counts.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::record::{Record, Signature};
use crate::token::Verifier;
use crate::truora;
use crate::truora::Product;

/// What one list row shows, computed once per verification.
#[derive(Debug, Clone)]
pub struct Summary {
    pub time: String,
    pub method: String,
    pub path: String,
    pub label: String,
    pub subject: String,
    pub signature: Signature,
    pub product: Product,
    pub size: usize,
    /// When it arrived, unix milliseconds (for local times and dates).
    pub received_ms: i64,
    /// The record's id, and the id it replays.
    pub id: u64,
    pub replay_of: Option<u64>,
    /// What the sender got.
    pub status: u16,
    /// What the user's app answered, when forwarding (`None`: no answer, or not forwarded).
    pub app_status: Option<u16>,
    /// Whether forwarding was tried (then `app_status` `None` means the app did not answer).
    pub forwarded: bool,
    /// `exp`/`nbf` state of the token.
    pub time_state: crate::record::TimeState,
    /// The first event's id (for counting its deliveries).
    pub event_id: Option<Box<str>>,
    /// How the first event's shape differed from the earlier ones of its kind.
    pub shape_change: Option<Arc<crate::shapes::Change>>,
    /// Lowercased text the free-text filter searches.
    haystack: Box<str>,
}

/// One held event: the request as captured (without its decoded token) and its row.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Position in arrival order within this window, stable while the event is held.
    pub seq: u64,
    pub record: Arc<Record>,
    pub summary: Summary,
}

/// The list filters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub text: String,
    pub signature: Option<Signature>,
    pub product: Option<Product>,
    /// Only the requests whose sender got no 2xx (a failed delivery, as Truora counts it).
    pub failed_only: bool,
    /// Only tokens whose `exp`/`nbf` say they are not current (expired, not yet
    /// valid, not numbers).
    pub time_problem: bool,
}

impl Filter {
    /// `deep`: the text was found in the event's body, headers or claims.
    fn matches(&self, summary: &Summary, needle: &str, deep: bool) -> bool {
        self.signature.is_none_or(|s| s == summary.signature)
            && (!self.time_problem || summary.time_state.is_problem())
            && self.product.is_none_or(|p| p == summary.product)
            && (!self.failed_only || !crate::health::is_success(summary.status))
            && (needle.is_empty() || deep || summary.haystack.contains(needle))
    }

    /// True when any filter is set.
    pub fn is_active(&self) -> bool {
        !self.text.trim().is_empty()
            || self.signature.is_some()
            || self.product.is_some()
            || self.failed_only
            || self.time_problem
    }
}

/// The held events, oldest first, at most `max` of them.
#[derive(Debug)]
pub struct Store {
    entries: VecDeque<Entry>,
    next_seq: u64,
    max: usize,
    /// Events that left memory for `max` (still in the journal).
    pub evicted: u64,
    filter: Filter,
    needle: String,
    /// Events whose body, headers or claims hold the needle (a search of their
    /// whole text, which the summary does not keep).
    deep: std::collections::HashSet<u64>,
    /// Seqs of the entries the filter lets through, ascending.
    visible: VecDeque<u64>,
    counts: [usize; Signature::ALL.len()],
    /// How many events re-verification after a secret change has done, newest first.
    reverify_at: Option<usize>,
    /// Held events per event id.
    deliveries: std::collections::HashMap<Box<str>, u32>,
    /// The shape seen so far of each kind of event (`type`, `action`).
    shapes: std::collections::HashMap<(Option<String>, Option<String>), crate::shapes::Kind>,
}

fn signature_index(signature: Signature) -> usize {
    Signature::ALL
        .iter()
        .position(|s| *s == signature)
        .unwrap_or_default()
}

/// Summarises a record decoded with `verifier`; `now` is unix seconds.
pub fn summarize(record: &Record, verifier: &Verifier, now: i64) -> Summary {
    summary_of(record, &record.analysis(verifier, now))
}

fn summary_of(record: &Record, analysis: &crate::token::Analysis) -> Summary {
    let first = analysis.events.first();
    let product = first.map_or(Product::Other, |e| Product::from_name(&e.product));
    let label = match first {
        Some(event) => {
            let mut label = truora::describe(product.as_str(), event.action.as_deref());
            if analysis.events.len() > 1 {
                label.push_str(&format!(" (+{})", analysis.events.len() - 1));
            }
            label
        }
        None => String::new(),
    };
    let subject = first.and_then(|e| e.subject.clone()).unwrap_or_default();
    let time = record
        .received_at
        .split_once('T')
        .map_or(record.received_at.as_str(), |(_, t)| {
            t.trim_end_matches('Z')
        })
        .to_owned();
    let mut haystack = format!(
        "{} {} {} {} {} {}",
        record.method,
        record.path,
        label,
        subject,
        record.remote_addr,
        analysis.verification.signature.label()
    );
    for event in &analysis.events {
        for part in [&event.id, &event.event_type, &event.subject]
            .into_iter()
            .flatten()
        {
            haystack.push(' ');
            haystack.push_str(part);
        }
    }
    Summary {
        time,
        method: record.method.clone(),
        path: record.path.clone(),
        label,
        subject,
        signature: analysis.verification.signature,
        product,
        size: record.body_len(),
        received_ms: crate::record::millis(&record.received_at).unwrap_or(0),
        id: record.id,
        replay_of: record.replay_of,
        status: record.response.status,
        app_status: record.response.forwarded.as_ref().and_then(|f| f.status),
        forwarded: record.response.forwarded.is_some(),
        time_state: analysis.verification.time,
        event_id: first.and_then(|e| e.id.as_deref()).map(Box::from),
        shape_change: None,
        haystack: haystack.to_lowercase().into_boxed_str(),
    }
}

/// True when `needle` (lowercased) is in the record's body, header names and
/// values, or decoded claims: what the list's summary does not keep.
pub fn full_text_contains(
    record: &Record,
    analysis: &crate::token::Analysis,
    needle: &str,
) -> bool {
    let contains = |text: &str| text.to_lowercase().contains(needle);
    record.body.as_deref().is_some_and(contains)
        || record
            .headers
            .iter()
            .any(|(name, value)| contains(name) || contains(value))
        || analysis
            .token
            .as_ref()
            .and_then(|t| t.claims.as_ref())
            .is_some_and(|claims| contains(&claims.to_string()))
}

/// A record without its decoded parts, which are derived again when needed.
pub fn strip(mut record: Record) -> Record {
    record.token = None;
    record.events = Vec::new();
    record.verification.detail = String::new();
    record.verification.hints = Vec::new();
    record
}

impl Store {
    /// An empty store holding at most `max` events.
    pub fn new(max: usize) -> Self {
        Store {
            entries: VecDeque::new(),
            next_seq: 0,
            max: max.max(1),
            evicted: 0,
            deliveries: Default::default(),
            shapes: Default::default(),
            filter: Filter::default(),
            needle: String::new(),
            deep: Default::default(),
            visible: VecDeque::new(),
            counts: [0; Signature::ALL.len()],
            reverify_at: None,
        }
    }

    /// Adds a record, summarised with `verifier`; evicts the oldest beyond `max`.
    pub fn push(&mut self, record: Record, verifier: &Verifier, now: i64) -> u64 {
        let analysis = record.analysis(verifier, now);
        let mut summary = summary_of(&record, &analysis);
        summary.shape_change = self.track_shape(record.id, &analysis).map(Arc::new);
        if let Some(id) = &summary.event_id {
            *self.deliveries.entry(id.clone()).or_default() += 1;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.counts[signature_index(summary.signature)] += 1;
        let deep = !self.needle.is_empty()
            && !summary.haystack.contains(self.needle.as_str())
            && full_text_contains(&record, &analysis, &self.needle);
        if deep {
            self.deep.insert(seq);
        }
        if self.filter.matches(&summary, &self.needle, deep) {
            self.visible.push_back(seq);
        }
        self.entries.push_back(Entry {
            seq,
            record: Arc::new(strip(record)),
            summary,
        });
        while self.entries.len() > self.max {
            if let Some(old) = self.entries.pop_front() {
                self.counts[signature_index(old.summary.signature)] -= 1;
                if let Some(id) = &old.summary.event_id
                    && let Some(n) = self.deliveries.get_mut(id)
                {
                    *n -= 1;
                    if *n == 0 {
                        self.deliveries.remove(id);
                    }
                }
                self.evicted += 1;
                if self.visible.front() == Some(&old.seq) {
                    self.visible.pop_front();
                }
            }
        }
        seq
    }

    /// Changes whenever an event arrives or leaves, or the filter changes what shows.
    pub fn stamp(&self) -> (u64, usize, usize) {
        (self.next_seq, self.entries.len(), self.visible.len())
    }

    /// How many held events carry this event id (more than 1: a retry or duplicate).
    pub fn deliveries(&self, event_id: &str) -> u32 {
        self.deliveries.get(event_id).copied().unwrap_or(0)
    }

    /// Takes the first event of a record into its kind's shape; its change, if new.
    fn track_shape(
        &mut self,
        record_id: u64,
        analysis: &crate::token::Analysis,
    ) -> Option<crate::shapes::Change> {
        let event = analysis.events.first()?;
        let claims = analysis.token.as_ref().and_then(|t| t.claims.as_ref());
        let value = crate::shapes::events_of(claims, true).into_iter().next()?;
        let key = (event.event_type.clone(), event.action.clone());
        self.shapes
            .entry(key)
            .or_default()
            .add(record_id, &crate::shapes::paths_of(value))
    }

    /// Forgets every event.
    pub fn clear(&mut self) {
        self.deliveries.clear();
        self.shapes.clear();
        self.entries.clear();
        self.visible.clear();
        self.counts = [0; Signature::ALL.len()];
        self.evicted = 0;
        self.reverify_at = None;
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
            .filter(|e| filter.matches(&e.summary, needle, deep.contains(&e.seq)))
            .map(|e| e.seq)
            .collect();
    }

    /// The text the filter searches, lowercased (empty: none).
    pub fn needle(&self) -> &str {
        &self.needle
    }

    /// What a full-text search needs: each held event with its seq.
    pub fn snapshot(&self) -> Vec<(u64, Arc<Record>)> {
        self.entries
            .iter()
            .map(|e| (e.seq, e.record.clone()))
            .collect()
    }

    /// The events a full-text search for `needle` found; ignored when the filter
    /// has moved on to another text.
    pub fn add_found(&mut self, needle: &str, seqs: Vec<u64>) {
        if needle != self.needle {
            return;
        }
        self.deep.extend(seqs);
        self.refilter();
    }

    /// Starts verifying every held event again (after a secret change).
    pub fn start_reverify(&mut self) {
        self.reverify_at = Some(0);
    }

    /// True while re-verification is under way.
    pub fn reverifying(&self) -> Option<(usize, usize)> {
        self.reverify_at.map(|at| (at, self.entries.len()))
    }

    /// Re-verifies events until `budget` runs out; true when all are done.
    pub fn reverify_step(
        &mut self,
        verifier: &Verifier,
        now: i64,
        budget: std::time::Duration,
    ) -> bool {
        let Some(mut at) = self.reverify_at else {
            return true;
        };
        let started = std::time::Instant::now();
        // Newest first: those are the rows on screen. `at` counts from the newest, so
        // events arriving or leaving meanwhile do not move what is left to do.
        while at < self.entries.len() {
            let index = self.entries.len() - 1 - at;
            let entry = &mut self.entries[index];
            let mut summary = summarize(&entry.record, verifier, now);
            summary.shape_change = entry.summary.shape_change.take();
            self.counts[signature_index(entry.summary.signature)] -= 1;
            self.counts[signature_index(summary.signature)] += 1;
            entry.summary = summary;
            at += 1;
            if at % 64 == 0 && started.elapsed() >= budget {
                break;
            }
        }
        if at >= self.entries.len() {
            self.reverify_at = None;
            self.refilter();
            true
        } else {
            self.reverify_at = Some(at);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::{Secret, SecretEncoding};

    #[test]
    fn reverification_starts_with_the_newest_events() {
        let secret = "0123456789abcdef0123456789abcdef";
        let token = crate::send::sign(
            &serde_json::json!({"iss": "Truora"}),
            secret.as_bytes(),
            jsonwebtoken::Algorithm::HS256,
        )
        .unwrap();
        let mut store = Store::new(1000);
        for i in 0..200 {
            store.push(record(&token, &format!("/p{i}")), &Verifier::default(), 0);
        }
        let verifier = Verifier::new(vec![Secret::new(secret, SecretEncoding::Utf8, 0).unwrap()]);
        store.start_reverify();
        // One slice with no time to spare does a first batch only.
        assert!(!store.reverify_step(&verifier, 0, std::time::Duration::ZERO));
        assert_eq!(store.get(199).unwrap().summary.signature, Signature::Valid);
        assert_eq!(store.get(0).unwrap().summary.signature, Signature::NoSecret);
    }

    fn record(body: &str, path: &str) -> Record {
        Record::request(
            "2026-11-26T13:45:11.123Z",
            "POST",
            path,
            "127.0.0.1:1",
            vec![],
            body.as_bytes(),
        )
    }

    #[test]
    fn eviction_filter_and_reverify() {
        let secret = "store-secret-store-secret-store-secret";
        let token = crate::send::sign(
            &crate::samples::claims("check", None, 0, 1).unwrap(),
            secret.as_bytes(),
            jsonwebtoken::Algorithm::HS256,
        )
        .unwrap();
        let none = Verifier::default();
        let mut store = Store::new(3);
        for i in 0..5 {
            let body = if i % 2 == 0 { token.as_str() } else { "plain" };
            store.push(record(body, &format!("/p{i}")), &none, 0);
        }
        assert_eq!(store.len(), 3);
        assert_eq!(store.evicted, 2);
        assert_eq!(store.get(2).unwrap().summary.path, "/p2");
        assert!(store.get(1).is_none());
        assert_eq!(store.count(Signature::NoSecret), 2);
        assert_eq!(store.get(2).unwrap().summary.label, "Check · finished");

        store.set_filter(Filter {
            signature: Some(Signature::Valid),
            ..Default::default()
        });
        assert!(store.visible().is_empty());
        let verifier = Verifier::new(vec![Secret::new(secret, SecretEncoding::Utf8, 0).unwrap()]);
        store.start_reverify();
        while !store.reverify_step(&verifier, 0, std::time::Duration::ZERO) {}
        assert_eq!(store.visible(), &[2, 4]);
        assert_eq!(store.count(Signature::Valid), 2);
        assert_eq!(store.count(Signature::NoSecret), 0);

        store.set_filter(Filter {
            text: "P3".to_owned(),
            ..Default::default()
        });
        assert_eq!(store.visible(), &[3]);
    }
}
