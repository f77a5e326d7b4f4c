//! The events a window holds: the core's data model, free of any window code.
//!
//! Per event, a compact [`Summary`] for the list (a few dozen bytes and the
//! strings a row shows) and where its record is: a line of the journal or of the
//! opened capture ([`Stored::Line`]), read by offset when the event is selected,
//! searched, exported or replayed; or the record itself when it has no file
//! ([`Stored::Held`]: a HAR or JSON array opened, a window without a journal).
//! The journal stays the store, so a million events fit in a few hundred megabytes.
//!
//! - [`row`]: the row and the [`Ingester`] that makes rows off the UI thread;
//! - [`filter`]: which rows show, and text matching;
//! - [`located`]: where records are, and reading them back by offset;
//! - [`store`]: the held events, counts, eviction, the visible list;
//! - [`work`]: re-verification and full-text search, run on a job;
//! - [`open`]: a capture file read into a store on every core;
//! - [`progress`]: how far a job has got.

pub mod filter;
pub mod located;
pub mod open;
pub mod progress;
pub mod row;
pub mod store;
pub mod work;

pub use filter::Filter;
use located::Place;
pub use located::{Entry, Lines, Located, Reading, Stored};
pub use open::{Opened, open};
pub use progress::Progress;
pub use row::{Ingested, Ingester, Summary, lighten, strip};
pub use store::Store;
pub use work::{Verdicts, reverify, search};

#[cfg(test)]
mod tests;
