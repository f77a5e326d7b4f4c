//! The work a job does over held events' records: re-verification after a secret
//! change, and the full-text search of what the rows do not keep.

use super::filter::full_text_contains;
use super::{Located, Progress};
use crate::record::{Signature, TimeState};
use crate::token::{Analyze as _, Verifier};

/// Re-verifies the records of `located` with `verifier`, reporting to `progress`;
/// `None` when newer work stopped it. A record that cannot be read keeps its verdict.
pub fn reverify(
    located: &Located,
    verifier: &Verifier,
    progress: &Progress,
) -> Option<Vec<(u64, Signature, TimeState)>> {
    let now = crate::token::unix_now();
    located.par_filter_map(progress, |seq, record| {
        let verification = record.analysis(verifier, now).verification;
        Some((seq, verification.signature, verification.time))
    })
}

/// The events of `located` whose body, headers, address or claims hold `needle`.
pub fn search(
    located: &Located,
    verifier: &Verifier,
    needle: &str,
    progress: &Progress,
) -> Vec<u64> {
    let now = crate::token::unix_now();
    located
        .par_filter_map(progress, |seq, record| {
            let analysis = record.analysis(verifier, now);
            full_text_contains(&record, &analysis, needle).then_some(seq)
        })
        .unwrap_or_default()
}
