//! The work a job does over held events' records: re-verification after a secret
//! change, and the full-text search of what the rows do not keep.

use super::filter::full_text_contains;
use super::{Located, Progress};
use crate::email::Dkim;
use crate::record::{Signature, TimeState, Verification};
use crate::token::{Analyze as _, Verifier};

/// What a re-verification worked out: each event's verdict and time state, and the
/// whole verification of each mail whose DKIM key was read again (for its detail).
#[derive(Debug, Default)]
pub struct Verdicts {
    pub rows: Vec<(u64, Signature, TimeState)>,
    pub mails: Vec<(u64, Verification)>,
}

/// Re-verifies the records of `located` with `verifier`, reporting to `progress`;
/// `None` when newer work stopped it. A record that cannot be read keeps its verdict.
/// A mail whose DKIM key could not be read (`no_secret`) is checked again with
/// `dkim`, which reads the key from DNS again.
pub fn reverify(
    located: &Located,
    verifier: &Verifier,
    dkim: Option<&Dkim>,
    progress: &Progress,
) -> Option<Verdicts> {
    let now = crate::token::unix_now();
    let all = located.par_filter_map(progress, |seq, mut record| {
        if let Some(dkim) = dkim
            && record.transport.is_mail()
            && record.verification.signature == Signature::NoSecret
        {
            dkim.check_blocking(&mut record);
            let verification = record.verification;
            return Some((
                seq,
                verification.signature,
                verification.time,
                Some(verification),
            ));
        }
        let verification = record.analysis(verifier, now).verification;
        Some((seq, verification.signature, verification.time, None))
    })?;
    let mut verdicts = Verdicts::default();
    for (seq, signature, time, mail) in all {
        verdicts.rows.push((seq, signature, time));
        if let Some(verification) = mail {
            verdicts.mails.push((seq, verification));
        }
    }
    Some(verdicts)
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
