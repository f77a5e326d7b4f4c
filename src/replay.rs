//! Sending a captured request again, unchanged, and keeping what came back as a
//! new record linked to the original.

use std::time::Duration;

use bytes::Bytes;

use crate::forward::{Target, deliver};
use crate::record::{Record, Response};

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
