//! Sending a captured request again, unchanged, and keeping what came back as a
//! new record linked to the original.

use std::time::Duration;

use bytes::Bytes;

use crate::capture::Journal;
use crate::forward::{Target, deliver};
use crate::record::{Forwarded, Record, Response};
use crate::token::{Analyze as _, Verifier};

/// Replays `original` to `base` (its path appended) and returns the new record:
/// the same request, received now from `replay`, with the target's reply.
pub async fn replay(
    original: &Record,
    base: &str,
    timeout: Duration,
) -> Result<Record, crate::forward::ForwardError> {
    let target = Target::parse(base, timeout)?;
    let outcome = deliver(
        &target,
        &original.method,
        &original.path,
        &crate::forward::header_map(&original.headers),
        Bytes::from(original.body_bytes().into_owned()),
    )
    .await;
    let mut record = original.clone();
    record.id = 0;
    record.received_at = crate::record::now();
    record.remote_addr = "replay".to_owned();
    record.replay_of = Some(original.id);
    record.response = Response {
        status: outcome.status,
        forwarded: Some(outcome.forwarded),
        ..Response::default()
    };
    Ok(record)
}

/// A replay journaled: its new id, and what the target answered.
#[derive(Debug, Clone)]
pub struct Replayed {
    pub id: u64,
    pub status: u16,
    pub forwarded: Option<Forwarded>,
}

/// The one replay path (`hookscope replay`, the window's *Replay* and *Edit and
/// send*): replays `original` to `url` and commits the result to `journal` as a new
/// record linked to it. With a `verifier`, the new record's token is checked again
/// (an edited request carries another token than its original).
pub async fn replay_into(
    original: &Record,
    url: &str,
    timeout: Duration,
    journal: &Journal,
    verifier: Option<&Verifier>,
) -> Result<Replayed, String> {
    let mut record = replay(original, url, timeout)
        .await
        .map_err(|err| err.to_string())?;
    if let Some(verifier) = verifier {
        record.analyze(verifier, crate::token::unix_now());
    }
    let (status, forwarded) = (record.response.status, record.response.forwarded.clone());
    let id = journal
        .commit(record)
        .await
        .map_err(|err| err.to_string())?;
    Ok(Replayed {
        id,
        status,
        forwarded,
    })
}
