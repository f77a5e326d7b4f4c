//! Following a relay (`hookscope attach URL`): its `/v1/stream`, each record
//! verified with the local secrets and journaled locally with `origin` (the relay
//! and its id there); with a forward target, first delivered to the local app
//! byte-exact (method, path with query, headers, the body untouched), its reply kept
//! in `response.forwarded`. A lost connection is tried again after 1 s, doubling to
//! 30 s, and resumes after the last relay id journaled: nothing is lost and nothing
//! delivered twice, except the one hook in flight when `attach` itself dies between
//! delivering it and journaling it (at least once).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::watch;
use zeroize::Zeroizing;

use crate::capture::Journal;
use crate::record::{Origin, Record};
use crate::token::{Analyze as _, Verifier};

/// Where to start when the local journal has nothing of this relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum From {
    /// Every record the relay holds.
    Start,
    /// Only what the relay journals from now on.
    Now,
    /// The records after this relay id.
    After(u64),
}

impl std::str::FromStr for From {
    type Err = String;

    fn from_str(text: &str) -> Result<From, String> {
        match text {
            "start" => Ok(From::Start),
            "now" => Ok(From::Now),
            id => id
                .parse()
                .map(From::After)
                .map_err(|_| format!("{id:?}: give start, now or a relay id")),
        }
    }
}

/// How to follow.
pub struct Options {
    /// The relay's API base URL (`https://relay.example.com:8788`).
    pub url: String,
    pub token: Zeroizing<String>,
    /// A CA file for a relay with a private certificate.
    pub ca: Option<PathBuf>,
    pub from: From,
    /// Deliver each record to the local app too (the window changes it as its
    /// forwarding is turned on and off).
    pub forward: Arc<std::sync::RwLock<Option<crate::forward::Target>>>,
}

/// Where the follower stands, for a status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Connecting,
    /// Following; `behind`: the relay's newest id less the last one journaled here,
    /// as its health said a moment ago.
    Connected {
        last: u64,
        behind: u64,
    },
    Reconnecting {
        why: String,
        in_secs: u64,
    },
}

/// Why a connection ended.
enum Ended {
    Stopped,
    Failed(String),
}

/// The last relay id journaled from `relay` in the journal at `path` (0: none).
pub fn resume_point(path: &Path, relay: &str) -> std::io::Result<Option<u64>> {
    let needle = serde_json::to_string(relay).unwrap_or_default();
    let finder = memchr::memmem::Finder::new(needle.as_bytes());
    let mut last = None;
    // A line at a time: only the lines naming the relay are parsed.
    super::backlog::each_after(path, 0, |_, line| {
        if finder.find(line).is_some()
            && let Ok(record) = crate::ndjson::parse(line)
            && let Some(origin) = record.origin
            && origin.relay == relay
        {
            last = Some(last.unwrap_or(0).max(origin.id));
        }
        true
    })?;
    Ok(last)
}

/// Follows the relay until `stop`: each record verified with `verifier`, delivered
/// where `options.forward` says, and committed to `journal`. `report` hears of
/// every change of state.
pub async fn follow(
    options: Options,
    verifier: crate::capture::SharedVerifier,
    journal: Journal,
    journal_path: Option<PathBuf>,
    report: impl Fn(State) + Send,
    mut stop: watch::Receiver<bool>,
) {
    let base = options.url.trim_end_matches('/').to_owned();
    let resumed = match journal_path {
        Some(path) => {
            let relay = base.clone();
            tokio::task::spawn_blocking(move || resume_point(&path, &relay))
                .await
                .ok()
                .and_then(Result::ok)
                .flatten()
        }
        None => None,
    };
    let mut after = match (resumed, options.from) {
        (Some(last), _) => Some(last),
        (None, From::Start) => Some(0),
        (None, From::After(id)) => Some(id),
        // Asked of the relay once connected.
        (None, From::Now) => None,
    };
    let tls = match crate::tls::client(options.ca.as_deref()) {
        Ok(tls) => tls,
        Err(err) => {
            report(State::Reconnecting {
                why: format!("{err:#}"),
                in_secs: 0,
            });
            eprintln!("attach: {err:#}");
            return;
        }
    };
    let mut backoff = Duration::from_secs(1);
    loop {
        report(State::Connecting);
        let ended = tokio::select! {
            ended = session(&options, &base, &tls, &mut after, &verifier, &journal, &report) => ended,
            _ = stop.changed() => Ended::Stopped,
        };
        let why = match ended {
            Ended::Stopped => return,
            Ended::Failed(why) => why,
        };
        eprintln!(
            "attach {base}: {}; trying again in {} s",
            crate::terminal::escape(&why),
            backoff.as_secs()
        );
        report(State::Reconnecting {
            why,
            in_secs: backoff.as_secs(),
        });
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            _ = stop.changed() => return,
        }
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}

/// One connection to the stream, until it ends.
async fn session(
    options: &Options,
    base: &str,
    tls: &Arc<rustls::ClientConfig>,
    after: &mut Option<u64>,
    verifier: &crate::capture::SharedVerifier,
    journal: &Journal,
    report: &(impl Fn(State) + Send),
) -> Ended {
    if after.is_none() {
        match super::client::get(&format!("{base}/v1/health"), &options.token, tls).await {
            Ok((200, body)) => {
                let last = super::client::collect(body)
                    .await
                    .ok()
                    .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                    .and_then(|v| v["last_id"].as_u64());
                *after = Some(last.unwrap_or(0));
            }
            Ok((status, _)) => return Ended::Failed(refused(status)),
            Err(why) => return Ended::Failed(why),
        }
    }
    let from = after.unwrap_or(0);
    let url = format!("{base}/v1/stream?after={from}");
    let body = match super::client::get(&url, &options.token, tls).await {
        Ok((200, body)) => body,
        Ok((status, _)) => return Ended::Failed(refused(status)),
        Err(why) => return Ended::Failed(why),
    };
    eprintln!("attached to {base}, after relay id {from}");
    report(State::Connected {
        last: from,
        behind: 0,
    });
    let mut events = super::client::Events::new(body);
    // The relay's newest id, asked every few seconds: how far behind this follower is.
    let mut relay_last = from;
    let mut ask = tokio::time::interval(Duration::from_secs(5));
    loop {
        let next = tokio::select! {
            next = events.next() => next,
            _ = ask.tick() => {
                if let Ok((200, body)) = super::client::get(&format!("{base}/v1/health"), &options.token, tls).await
                    && let Some(last) = super::client::collect(body)
                        .await
                        .ok()
                        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                        .and_then(|v| v["last_id"].as_u64())
                {
                    relay_last = last;
                    let last = after.unwrap_or(0);
                    report(State::Connected { last, behind: relay_last.saturating_sub(last) });
                }
                continue;
            }
        };
        let event = match next {
            Ok(Some(event)) => event,
            Ok(None) => return Ended::Failed("the relay closed the stream".to_owned()),
            Err(why) => return Ended::Failed(why),
        };
        let Some(id) = event.id else {
            continue;
        };
        if id <= after.unwrap_or(0) {
            continue;
        }
        let mut record = match crate::ndjson::parse(event.data.as_bytes()) {
            Ok(record) => record,
            Err(err) => return Ended::Failed(format!("relay record {id} cannot be read: {err}")),
        };
        // The secrets as they are now (the window's may change while it follows).
        let now = verifier
            .read()
            .map_or_else(|poisoned| poisoned.into_inner().clone(), |v| v.clone());
        take_in(&mut record, base, id, options, &now).await;
        if let Err(err) = journal.commit(record).await {
            return Ended::Failed(format!("could not journal relay record {id}: {err}"));
        }
        *after = Some(id);
        relay_last = relay_last.max(id);
        report(State::Connected {
            last: id,
            behind: relay_last - id,
        });
    }
}

/// What a refusal of the relay means.
fn refused(status: u16) -> String {
    match status {
        401 => "the relay refused the token (401): check --token-file".to_owned(),
        429 => "the relay refuses this address for a while after failed tokens (429)".to_owned(),
        other => format!("the relay answered {other}"),
    }
}

/// A relay record made local: delivered to the app when forwarding, verified with
/// the local secrets, marked with where it came from.
async fn take_in(record: &mut Record, base: &str, id: u64, options: &Options, verifier: &Verifier) {
    let target = options
        .forward
        .read()
        .map_or_else(|poisoned| poisoned.into_inner().clone(), |t| t.clone());
    if let Some(target) = &target
        && !record.transport.is_mail()
    {
        let headers = crate::forward::header_map(&record.headers);
        let outcome = crate::forward::deliver(
            target,
            &record.method,
            &record.path,
            &headers,
            Bytes::from(record.body_bytes().into_owned()),
        )
        .await;
        record.response.forwarded = Some(outcome.forwarded);
    }
    // Judged at its arrival at the relay, as a capture there would have been.
    let received = crate::record::millis(&record.received_at)
        .map_or_else(crate::token::unix_now, |ms| ms / 1000);
    record.analyze(verifier, received);
    record.id = 0;
    record.origin = Some(Origin {
        relay: base.to_owned(),
        id,
    });
}

/// A follower on a thread of its own (the window's, and `attach`'s).
pub struct Follower {
    state: Arc<std::sync::Mutex<State>>,
    forward: Arc<std::sync::RwLock<Option<crate::forward::Target>>>,
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Follower {
    /// Follows the relay `options` names until stopped, verifying with `verifier`
    /// (read afresh for each record) and journaling to `journal` (whose file,
    /// `journal_path`, says where to resume).
    pub fn start(
        options: Options,
        verifier: crate::capture::SharedVerifier,
        journal: Journal,
        journal_path: Option<PathBuf>,
    ) -> std::io::Result<Follower> {
        let state = Arc::new(std::sync::Mutex::new(State::Connecting));
        let forward = options.forward.clone();
        let (stop, stopped) = watch::channel(false);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("hookscope-attach")
            .enable_all()
            .build()?;
        let shared = state.clone();
        let thread = std::thread::Builder::new()
            .name("hookscope-attach".to_owned())
            .spawn(move || {
                let report = move |now: State| {
                    *shared
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = now;
                };
                runtime.block_on(follow(
                    options,
                    verifier,
                    journal,
                    journal_path,
                    report,
                    stopped,
                ));
                runtime.shutdown_timeout(Duration::from_secs(2));
            })?;
        Ok(Follower {
            state,
            forward,
            stop,
            thread: Some(thread),
        })
    }

    /// Where the follower stands now.
    pub fn state(&self) -> State {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Delivers to `target` from the next record on (`None`: to nobody).
    pub fn set_forward(&self, target: Option<crate::forward::Target>) {
        *self
            .forward
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = target;
    }

    /// Stops following; what was journaled stays journaled.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.halt();
    }
}
