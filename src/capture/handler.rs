//! One request: read it within its limits, verify it, journal it, then reply.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONNECTION, CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};

use super::Shared;
use super::tap::HeadTap;
use crate::record::{self, Record};
use crate::token::Analyze as _;

/// How reading a body ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyEnd {
    Complete,
    /// Over `--max-body`: cut and answered 413.
    TooLarge,
    /// The client stalled past the body timeout: answered 408.
    TimedOut,
    /// The client broke the framing or went away: answered 400.
    Broken,
    /// Bodies in flight already hold the listener's whole budget: answered 503.
    OverBudget,
    /// A browser made it (`Origin`, `Sec-Fetch-Site`) while forwarding: answered 403.
    Browser,
    /// This listener forwarded it to itself (its own loop mark came back): answered
    /// 508, not forwarded again.
    Loop,
}

/// The header a listener marks what it forwards with: its own instance, so a
/// request that comes back to it (`--forward-to` pointing at itself, or at a chain
/// that leads back) is answered instead of forwarded for ever.
pub(super) const LOOP_HEADER: hyper::header::HeaderName =
    hyper::header::HeaderName::from_static("x-hookscope-forwarded-by");

pub(super) async fn handle(
    mut request: Request<Incoming>,
    shared: Arc<Shared>,
    remote: Arc<str>,
    tap: Arc<Mutex<HeadTap>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let received_at = jiff::Timestamp::now();
    let method = request.method().as_str().to_owned();
    // Origin-form (the usual "/path?query") is borrowed as sent; other forms are printed.
    let path = match (request.uri().scheme(), request.uri().path_and_query()) {
        (None, Some(path)) => path.as_str().to_owned(),
        _ => request.uri().to_string(),
    };
    let mut headers = headers_as_sent(&tap, &method, &path, request.headers());
    let config = &shared.config;
    let expects_continue = request
        .headers()
        .get(hyper::header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let live = shared.live();
    let from_browser = live.forward.is_some()
        && !config.allow_browser
        && (request.headers().contains_key(hyper::header::ORIGIN)
            || request.headers().contains_key("sec-fetch-site"));
    let replay_of = replay_of(&mut headers, &mut request, &shared.instance);
    let looped = live.forward.is_some()
        && request
            .headers()
            .get_all(&LOOP_HEADER)
            .iter()
            .any(|mark| *mark == shared.instance);
    let (parts, incoming) = request.into_parts();
    let mut held = shared.budget.hold();
    let (body, end) = if from_browser {
        // Never read: the request is refused, whatever it carries.
        (Vec::new(), BodyEnd::Browser)
    } else if looped {
        (Vec::new(), BodyEnd::Loop)
    } else {
        read_body(
            incoming,
            config.max_body,
            config.body_timeout,
            expects_continue,
            &mut held,
        )
        .await
    };
    // From here the request is whole; a sender hanging up must not lose its record.
    let request = Arrived {
        received_at,
        method,
        path,
        remote,
        headers,
        raw_headers: parts.headers,
        body,
        end,
        replay_of,
    };
    let settled = if live.forward.is_some() {
        // Forwarding waits for the app: that, verifying and journaling run on a task
        // of their own, which a sender hanging up cannot cancel.
        let finished = tokio::spawn(settle(request, shared.clone(), live.clone(), held));
        match finished.await {
            Ok(settled) => settled,
            Err(_) => return Ok(unavailable()),
        }
    } else {
        // Nothing waits between here and the record joining the journal's queue (the
        // first poll of the commit), and a queued record is written even if this
        // future is dropped: no task needed, and none spawned per request.
        settle(request, shared.clone(), live.clone(), held).await
    };
    let Settled {
        committed,
        status,
        forwarded,
        reply: (content_type, body),
    } = settled;
    if !live.reply.delay.is_zero() {
        tokio::time::sleep(live.reply.delay).await;
    }
    Ok(match committed {
        Ok(id) => {
            shared.count_delivery(status);
            match forwarded {
                Some(outcome) => relay(outcome, id),
                None => reply(status, end, id, &content_type, body),
            }
        }
        Err(err) => {
            // Never acknowledge what is not on disk: the sender should retry.
            log::error!("{err}");
            unavailable()
        }
    })
}

/// The record a request replays, when it carries this listener's own mark in
/// [`crate::replay::REPLAY_HEADER`]: the header is then taken out of the request
/// (it is neither recorded nor forwarded). A header with another mark is left as
/// it came: it is no business of this listener's.
fn replay_of(
    headers: &mut Vec<(String, String)>,
    request: &mut Request<Incoming>,
    instance: &HeaderValue,
) -> Option<u64> {
    let value = request.headers().get(crate::replay::REPLAY_HEADER)?;
    let (mark, id) = value.to_str().ok()?.split_once(' ')?;
    if mark.as_bytes() != instance.as_bytes() {
        return None;
    }
    let id = id.trim().parse().ok()?;
    request.headers_mut().remove(crate::replay::REPLAY_HEADER);
    headers.retain(|(name, _)| !name.eq_ignore_ascii_case(crate::replay::REPLAY_HEADER));
    Some(id)
}

/// The headers in arrival order with their names as sent, from the tap; hyper's
/// (lowercased, grouped) when the tap lost track of the head.
fn headers_as_sent(
    tap: &Mutex<HeadTap>,
    method: &str,
    path: &str,
    parsed: &hyper::HeaderMap,
) -> Vec<(String, String)> {
    tap.lock()
        .ok()
        .and_then(|mut tap| tap.take(method, path))
        .map(|head| head.headers)
        .unwrap_or_else(|| {
            parsed
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_owned(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect()
        })
}

/// A request read as far as it will be.
struct Arrived {
    received_at: jiff::Timestamp,
    method: String,
    path: String,
    remote: Arc<str>,
    headers: Vec<(String, String)>,
    /// hyper's view of the headers: the bytes forwarded to the app.
    raw_headers: hyper::HeaderMap,
    body: Vec<u8>,
    end: BodyEnd,
    /// A replay this listener was sent by its own window: the record it replays.
    replay_of: Option<u64>,
}

/// Forwards (when asked), verifies and journals one request; the body's share of
/// the in-flight budget is given back once the record is written.
async fn settle(
    request: Arrived,
    shared: Arc<Shared>,
    live: Arc<super::Live>,
    held: super::Held,
) -> Settled {
    let Arrived {
        received_at,
        method,
        path,
        remote,
        headers,
        mut raw_headers,
        body,
        end,
        replay_of,
    } = request;
    let truncated = !matches!(end, BodyEnd::Complete | BodyEnd::Browser | BodyEnd::Loop);
    // Forward first: the sender's reply is the app's, and it goes into the record.
    let forwarded = match (&live.forward, end == BodyEnd::Complete) {
        (Some(target), true) => {
            raw_headers.append(LOOP_HEADER, shared.instance.clone());
            Some(
                crate::forward::deliver(
                    target,
                    &method,
                    &path,
                    &raw_headers,
                    Bytes::copy_from_slice(&body),
                )
                .await,
            )
        }
        _ => None,
    };
    let status = match (end, &forwarded) {
        (BodyEnd::Complete, Some(outcome)) => outcome.status,
        (BodyEnd::Complete, None) => live.reply.status,
        (BodyEnd::TooLarge, _) => 413,
        (BodyEnd::TimedOut, _) => 408,
        (BodyEnd::Broken, _) => 400,
        (BodyEnd::OverBudget, _) => 503,
        (BodyEnd::Browser, _) => 403,
        (BodyEnd::Loop, _) => 508,
    };
    let verifier = shared
        .verifier
        .read()
        .map(|v| v.clone())
        .unwrap_or_default();
    let mut record = Record::request(
        &record::timestamp(received_at),
        &method,
        &path,
        &remote,
        headers,
        &[],
    );
    // The body moves into the record rather than being copied.
    (record.body, record.body_base64) = Record::encode_body_vec(body);
    record.body_truncated = truncated;
    record.replay_of = replay_of;
    record.analyze(&verifier, received_at.as_second());
    let (content_type, reply_body) = match &forwarded {
        // The app's reply is in `forwarded`; without one, the sender got our error.
        Some(outcome) if outcome.forwarded.status.is_none() => (
            "application/json".to_owned(),
            Some(String::from_utf8_lossy(&outcome.body).into_owned()),
        ),
        Some(_) => ("application/json".to_owned(), None),
        None => reply_text(end, &shared.config, &live.reply),
    };
    record.response = record::Response {
        status,
        forwarded: forwarded.as_ref().map(|outcome| outcome.forwarded.clone()),
        // Only what the record cannot tell: the default acknowledgement is known by
        // its id (`record::ack_body`).
        body: reply_body.clone(),
        content_type: Some(content_type.clone()).filter(|c| c != "application/json"),
    };
    let committed = shared.journal.commit(record).await;
    drop(held);
    Settled {
        committed,
        status,
        forwarded,
        reply: (content_type, reply_body),
    }
}

/// A request journaled (or not): what its sender is answered with.
struct Settled {
    committed: Result<u64, super::journal::JournalError>,
    status: u16,
    forwarded: Option<crate::forward::Outcome>,
    /// The listener's own reply: its content type, and its body unless it is the
    /// default acknowledgement.
    reply: (String, Option<String>),
}

fn unavailable() -> Response<Full<Bytes>> {
    plain(
        StatusCode::SERVICE_UNAVAILABLE,
        "application/json",
        r#"{"error":"hookscope could not journal this request"}"#.to_owned(),
    )
}

/// The app's reply, passed on to the sender.
fn relay(outcome: crate::forward::Outcome, id: u64) -> Response<Full<Bytes>> {
    let code = StatusCode::from_u16(outcome.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut response = Response::new(Full::new(outcome.body));
    *response.status_mut() = code;
    if let Some(value) = outcome
        .content_type
        .and_then(|c| HeaderValue::from_str(&c).ok())
    {
        response.headers_mut().insert(CONTENT_TYPE, value);
    }
    with_id(response, id)
}

/// The listener's own reply, as recorded (`body`: `None` for the acknowledgement).
fn reply(
    status: u16,
    end: BodyEnd,
    id: u64,
    content_type: &str,
    body: Option<String>,
) -> Response<Full<Bytes>> {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut response = plain(
        code,
        content_type,
        body.unwrap_or_else(|| record::ack_body(id)),
    );
    if end != BodyEnd::Complete {
        // The rest of the body is unread: the connection cannot be reused.
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    with_id(response, id)
}

/// The listener's reply: its content type, and its body unless it is the default
/// acknowledgement (which names the record id, known only once journaled).
fn reply_text(
    end: BodyEnd,
    config: &super::ListenerConfig,
    policy: &super::ReplyPolicy,
) -> (String, Option<String>) {
    let json = "application/json".to_owned();
    match end {
        BodyEnd::Complete => (policy.content_type.clone(), policy.body.clone()),
        BodyEnd::TooLarge => (
            json,
            Some(format!(
                r#"{{"error":"body larger than {} bytes"}}"#,
                config.max_body
            )),
        ),
        BodyEnd::TimedOut => (json, Some(r#"{"error":"body timed out"}"#.to_owned())),
        BodyEnd::Broken => (json, Some(r#"{"error":"bad request body"}"#.to_owned())),
        BodyEnd::OverBudget => (
            json,
            Some(r#"{"error":"too many request bodies in flight; retry later"}"#.to_owned()),
        ),
        BodyEnd::Loop => (
            json,
            Some(
                r#"{"error":"this request came back to the listener that forwarded it: --forward-to leads back here"}"#
                    .to_owned(),
            ),
        ),
        BodyEnd::Browser => (
            json,
            Some(
                r#"{"error":"requests from a web browser are not forwarded (hookscope --allow-browser lets them through)"}"#
                    .to_owned(),
            ),
        ),
    }
}

/// The header naming the record a reply is for.
const ID_HEADER: hyper::header::HeaderName =
    hyper::header::HeaderName::from_static("x-hookscope-id");

/// Tells the sender which record its request became.
fn with_id(mut response: Response<Full<Bytes>>, id: u64) -> Response<Full<Bytes>> {
    response
        .headers_mut()
        .insert(ID_HEADER, HeaderValue::from(id));
    response
}

fn plain(status: StatusCode, content_type: &str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let value = match content_type {
        // The usual one, without checking its bytes again for every reply.
        "application/json" => Ok(HeaderValue::from_static("application/json")),
        other => HeaderValue::from_str(other),
    };
    if let Ok(value) = value {
        response.headers_mut().insert(CONTENT_TYPE, value);
    }
    response
}

/// Reads at most `max` bytes of the body within `timeout`, growing with what
/// arrives (never with what the head declares) and within the listener's budget.
async fn read_body(
    mut body: Incoming,
    max: usize,
    timeout: Duration,
    expects_continue: bool,
    held: &mut super::Held,
) -> (Vec<u8>, BodyEnd) {
    let mut kept = Vec::new();
    let declared = hyper::body::Body::size_hint(&body).exact();
    if expects_continue && declared.is_some_and(|d| d > max as u64) {
        // The client waits for our word before sending: refuse without inviting the upload.
        return (kept, BodyEnd::TooLarge);
    }
    let too_large = declared.is_some_and(|d| d > max as u64);
    // A body announced too large is refused anyway: keep what arrives soon, never wait long.
    let timeout = if too_large {
        timeout.min(Duration::from_secs(2))
    } else {
        timeout
    };
    // One timer for the whole body, however many frames it comes in.
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    loop {
        let next = tokio::select! {
            biased;
            frame = body.frame() => Some(frame),
            () = &mut deadline => None,
        };
        let frame = match next {
            None if too_large => return (kept, BodyEnd::TooLarge),
            None => return (kept, BodyEnd::TimedOut),
            Some(None) => return (kept, BodyEnd::Complete),
            Some(Some(Err(_))) => return (kept, BodyEnd::Broken),
            Some(Some(Ok(frame))) => frame,
        };
        if let Ok(data) = frame.into_data() {
            let room = max - kept.len();
            let taken = data.len().min(room);
            if !held.grow(taken) {
                return (kept, BodyEnd::OverBudget);
            }
            kept.extend_from_slice(&data[..taken]);
            if data.len() > room {
                return (kept, BodyEnd::TooLarge);
            }
        }
        if kept.len() == max && too_large {
            return (kept, BodyEnd::TooLarge);
        }
    }
}
