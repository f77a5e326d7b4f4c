//! One event's row: the compact [`Summary`] a list shows (a few dozen bytes and the
//! strings rows share), and the [`Ingester`] that works records out into rows off
//! the UI thread.

use std::collections::HashSet;
use std::num::NonZeroU64;
use std::sync::Arc;

use super::Stored;
use crate::ndjson::Line;
use crate::record::{Record, Signature, TimeState};
use crate::shapes::EventShape;
use crate::token::Analysis;
use crate::truora;
use crate::truora::Product;

/// What one list row shows, worked out once per verification.
#[derive(Debug, Clone)]
pub struct Summary {
    /// When it arrived, unix milliseconds.
    pub received_ms: i64,
    /// The record's id, and the id it replays.
    pub id: u64,
    pub replay_of: Option<NonZeroU64>,
    /// The body's size in bytes.
    pub size: u32,
    /// What the sender got.
    pub status: u16,
    /// What the user's app answered, when forwarding (`None`: no answer, or not forwarded).
    pub app_status: Option<u16>,
    /// Whether forwarding was tried (then `app_status` `None` means the app did not answer).
    pub forwarded: bool,
    /// A mail, not an HTTP request: nothing to send again over HTTP.
    pub mail: bool,
    pub signature: Signature,
    pub product: Product,
    /// `exp`/`nbf` state of the token.
    pub time_state: TimeState,
    /// Shared between the events that have the same one.
    pub method: Arc<str>,
    pub path: Arc<str>,
    /// Product and action in words, e.g. "Check · finished (+1)".
    pub label: Arc<str>,
    pub subject: Box<str>,
    /// A hash of the first event's id (for counting its deliveries).
    pub event_key: Option<u64>,
    /// How the first event's shape differed from the earlier ones of its kind.
    pub shape_change: Option<Arc<crate::shapes::Change>>,
}

/// One event worked out for the store, off the UI thread: its row, where its
/// record is, and its first event's shape.
#[derive(Debug)]
pub struct Ingested {
    pub summary: Summary,
    pub stored: Stored,
    pub shape: Option<EventShape>,
}

/// Works records out into [`Ingested`] events. It shares the strings that repeat
/// (methods, paths, labels) between the events that have them.
#[derive(Debug, Default)]
pub struct Ingester {
    strings: HashSet<Arc<str>>,
    /// The shapes sent with their paths: the store they go to knows them after
    /// that, so later events of the same shape go without (freeing the paths
    /// would cost the UI thread more than filing the event).
    /// Each by a hash of its kind and fingerprint.
    shapes_sent: HashSet<u64>,
}

/// The most characters a row keeps of a path, a method or a subject: what a row
/// shows. The rest stays in the journal, for the detail and the full-text search, so
/// a row's memory does not depend on what a sender puts in it.
pub const ROW_TEXT: usize = 256;

/// `text` cut to [`ROW_TEXT`] characters.
fn cut(text: &str) -> &str {
    match text.char_indices().nth(ROW_TEXT) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

/// Strings the ingester remembers at most; past that it starts again (the events
/// keep theirs), so a flood of unique paths costs no more than unshared strings.
const SHARED_STRINGS: usize = 4096;

impl Ingester {
    fn share(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.strings.get(text) {
            return shared.clone();
        }
        if self.strings.len() >= SHARED_STRINGS {
            self.strings.clear();
        }
        let shared: Arc<str> = Arc::from(text);
        self.strings.insert(shared.clone());
        shared
    }

    /// The store started afresh: the next event of each shape carries its paths.
    pub fn forget_shapes(&mut self) {
        self.shapes_sent.clear();
    }

    /// Works `record` out. `analysis`: its token checked with the window's secrets;
    /// `None` takes the record's own (the listener checked it with the same
    /// secrets as it captured it). `line`: where it lies in the store's file;
    /// `None` keeps the record in memory.
    pub fn ingest(
        &mut self,
        record: Record,
        line: Option<Line>,
        analysis: Option<Analysis>,
    ) -> Ingested {
        let size = record.body_len();
        self.ingest_sized(record, size, line, analysis)
    }

    /// Like [`Ingester::ingest`] for a record whose body may have been dropped
    /// ([`lighten`]): `size` is the body's size.
    pub fn ingest_sized(
        &mut self,
        mut record: Record,
        size: usize,
        line: Option<Line>,
        analysis: Option<Analysis>,
    ) -> Ingested {
        let analysis = analysis.unwrap_or_else(|| Analysis {
            token: record.token.take(),
            verification: std::mem::replace(
                &mut record.verification,
                crate::record::Verification::unsigned(""),
            ),
            events: std::mem::take(&mut record.events),
        });
        let summary = self.summary(&record, size, &analysis);
        let claims = analysis.token.as_ref().and_then(|t| t.claims.as_ref());
        let sent = &mut self.shapes_sent;
        let shape = EventShape::of_first(claims, &analysis.events, |kind, fingerprint| {
            sent.insert(crate::shapes::hash_of(&(kind, fingerprint)))
        });
        let stored = match line {
            Some(line) => Stored::Line(line),
            None => Stored::Held(Arc::new(strip(record))),
        };
        Ingested {
            summary,
            stored,
            shape,
        }
    }

    /// The row of `record` (whose body has `size` bytes) as `analysis` sees it.
    pub fn summary(&mut self, record: &Record, size: usize, analysis: &Analysis) -> Summary {
        let first = analysis.events.first();
        let product = first.map_or(Product::Other, |e| Product::from_name(&e.product));
        let label = match first {
            Some(event) => {
                // Another provider's event says its type (and GitHub's action).
                let what = match (&event.event_type, &event.action) {
                    (Some(kind), Some(action)) if product.is_provider() => {
                        Some(format!("{kind}.{action}"))
                    }
                    (Some(kind), None) if product.is_provider() => Some(kind.clone()),
                    _ => event.action.clone(),
                };
                let mut label = truora::describe(product.as_str(), what.as_deref());
                if analysis.events.len() > 1 {
                    label.push_str(&format!(" (+{})", analysis.events.len() - 1));
                }
                label
            }
            None => String::new(),
        };
        Summary {
            received_ms: crate::record::millis(&record.received_at).unwrap_or(0),
            id: record.id,
            replay_of: record.replay_of.and_then(NonZeroU64::new),
            size: u32::try_from(size).unwrap_or(u32::MAX),
            status: record.response.status,
            app_status: record.response.forwarded.as_ref().and_then(|f| f.status),
            forwarded: record.response.forwarded.is_some(),
            mail: record.transport.is_mail(),
            signature: analysis.verification.signature,
            product,
            time_state: analysis.verification.time,
            // A mail shows its envelope mark, From and Subject where a request
            // shows its method and path.
            method: self.share(cut(if record.transport.is_mail() {
                "✉"
            } else {
                &record.method
            })),
            path: self.share(cut(&match record.email.as_deref() {
                Some(email) => std::borrow::Cow::Owned(format!(
                    "{} · {}",
                    email.from.as_deref().unwrap_or("(no From)"),
                    email.subject.as_deref().unwrap_or("(no Subject)")
                )),
                None => std::borrow::Cow::Borrowed(record.path.as_str()),
            })),
            label: self.share(&label),
            subject: cut(first.and_then(|e| e.subject.as_deref()).unwrap_or_default()).into(),
            event_key: first
                .and_then(|e| e.id.as_deref())
                .map(crate::shapes::hash_of),
            shape_change: None,
        }
    }
}

/// Drops what a journaled record's row and shape do not need (its body, headers,
/// the raw token and its header, the verdict's words, the replies' bodies), so the
/// thread that made them frees them and the trip to the ingest job is light.
/// Returns the body's size. The record stays whole in the journal.
pub fn lighten(record: &mut Record) -> usize {
    let size = record.body_len();
    record.body = None;
    record.body_base64 = None;
    record.headers = Vec::new();
    if let Some(token) = &mut record.token {
        token.raw = String::new();
        token.header = serde_json::Value::Null;
    }
    record.verification.detail = String::new();
    record.verification.hints = Vec::new();
    record.response.body = None;
    if let Some(forwarded) = &mut record.response.forwarded {
        forwarded.body = None;
        forwarded.error = None;
    }
    size
}

/// A record without its decoded parts, which are derived again when needed.
pub fn strip(mut record: Record) -> Record {
    record.token = None;
    record.events = Vec::new();
    record.verification.detail = String::new();
    record.verification.hints = Vec::new();
    record
}
