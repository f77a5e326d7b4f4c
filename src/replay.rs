//! Sending a captured request again, unchanged, and keeping what came back as a
//! new record linked to the original.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;

use crate::capture::Journal;
use crate::forward::{Target, deliver};
use crate::record::{Forwarded, Record, Response};
use crate::token::{Analyze as _, Verifier};

/// The listener of the journal a replay would be written to (the window's own):
/// a replay sent to it is recorded by it, once, linked to its original, instead of
/// being recorded twice (its capture, and the replay's own record).
#[derive(Debug, Clone)]
pub struct OwnListener {
    pub addr: SocketAddr,
    /// Its mark (see [`crate::capture::Capture::mark`]): only it can link a replay.
    pub mark: String,
}

impl OwnListener {
    /// True when `url` leads to this listener: its port, on its address or on a
    /// loopback name for it.
    fn is(&self, url: &str) -> bool {
        let Ok(uri) = url.parse::<hyper::Uri>() else {
            return false;
        };
        let port = uri.port_u16().unwrap_or(80);
        let Some(host) = uri.host() else {
            return false;
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let ip = self.addr.ip();
        let loopback = host.eq_ignore_ascii_case("localhost")
            || host.parse::<IpAddr>().is_ok_and(|h| h.is_loopback());
        port == self.addr.port()
            && (host.parse::<IpAddr>() == Ok(ip)
                || (loopback && (ip.is_loopback() || ip.is_unspecified())))
    }
}

/// The header that asks the listener whose mark it carries to link the request
/// to the record it replays: `<mark> <original id>`.
pub const REPLAY_HEADER: &str = "x-hookscope-replay-of";

/// Replays `original` to `url` (see [`Target`] for where its path goes) and returns
/// the new record: the same request, received now from `replay`, with the target's
/// reply; and the id the target's listener recorded it under when it is `own`.
pub async fn replay(
    original: &Record,
    url: &str,
    timeout: Duration,
    own: Option<&OwnListener>,
) -> Result<(Record, Option<u64>), crate::forward::ForwardError> {
    let target = Target::parse(url, timeout)?;
    let mut headers = crate::forward::header_map(&original.headers);
    let own = own.filter(|own| own.is(url));
    if let Some(own) = own
        && let Ok(value) =
            hyper::header::HeaderValue::from_str(&format!("{} {}", own.mark, original.id))
    {
        headers.insert(REPLAY_HEADER, value);
    }
    let outcome = deliver(
        &target,
        &original.method,
        &original.path,
        &headers,
        Bytes::from(original.body_bytes().into_owned()),
    )
    .await;
    let recorded = own.and(outcome.recorded_as);
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
    Ok((record, recorded))
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
/// record linked to it, unless `own`, the listener writing that journal, is the
/// target and recorded it so itself: one record per replay, whatever the target.
/// With a `verifier`, the new record's token is checked again (an edited request
/// carries another token than its original).
pub async fn replay_into(
    original: &Record,
    url: &str,
    timeout: Duration,
    journal: &Journal,
    verifier: Option<&Verifier>,
    own: Option<&OwnListener>,
) -> Result<Replayed, String> {
    if original.transport.is_mail() {
        return Err(format!(
            "record {} is a mail: it is not sent again over HTTP",
            original.id
        ));
    }
    let (mut record, recorded) = replay(original, url, timeout, own)
        .await
        .map_err(|err| err.to_string())?;
    if let Some(id) = recorded {
        return Ok(Replayed {
            id,
            status: record.response.status,
            forwarded: record.response.forwarded,
        });
    }
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
