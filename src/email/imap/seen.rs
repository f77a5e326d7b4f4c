//! What a journal already holds of a mailbox: the last UIDVALIDITY and UID, the
//! newest message's date and the Message-IDs, so that a restart journals nothing twice.

use std::collections::HashSet;
use std::path::Path;

use crate::record::{Record, Transport};

/// What the journal already holds of one mailbox.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// The UIDVALIDITY of the newest message journaled, and the highest UID under it.
    pub last: Option<(u32, u32)>,
    /// When the newest message came (its `Date`, else when it was journaled).
    pub last_date: Option<jiff::Timestamp>,
    /// The Message-IDs journaled from this mailbox.
    pub message_ids: HashSet<String>,
}

impl Seen {
    /// Reads what the journal at `path` (every segment) holds of `mailbox`.
    pub fn from_journal(path: &Path, mailbox: &str) -> std::io::Result<Seen> {
        let mut seen = Seen::default();
        let needle = serde_json::to_string(mailbox).unwrap_or_default();
        let finder = memchr::memmem::Finder::new(needle.as_bytes());
        for segment in crate::segments::list(path)? {
            let file = match std::fs::File::open(&segment.path) {
                Ok(file) => file,
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
                Err(err) => return Err(err),
            };
            let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
            let mut line = Vec::new();
            loop {
                line.clear();
                if std::io::BufRead::read_until(&mut reader, b'\n', &mut line)? == 0 {
                    break;
                }
                // Only lines naming the mailbox are parsed.
                if finder.find(&line).is_none() {
                    continue;
                }
                if let Ok(record) = crate::ndjson::parse(line.trim_ascii_end()) {
                    seen.note(&record, mailbox);
                }
            }
        }
        Ok(seen)
    }

    /// Takes in `record` if it is a message of `mailbox`.
    pub(super) fn note(&mut self, record: &Record, mailbox: &str) {
        let Some(email) = record.email.as_deref() else {
            return;
        };
        if record.transport != Transport::Imap || email.mailbox.as_deref() != Some(mailbox) {
            return;
        }
        if let (Some(validity), Some(uid)) = (email.uid_validity, email.uid) {
            self.last = match self.last {
                Some((v, last)) if v == validity => Some((v, last.max(uid))),
                _ => Some((validity, uid)),
            };
        }
        let date = email
            .date
            .as_deref()
            .and_then(|d| d.parse::<jiff::Timestamp>().ok())
            .or_else(|| record.received_at.parse().ok());
        if date.is_some() {
            self.last_date = date.max(self.last_date);
        }
        if let Some(id) = &email.message_id {
            self.message_ids.insert(id.clone());
        }
    }
}
