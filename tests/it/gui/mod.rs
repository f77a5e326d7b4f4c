//! The inspector under egui_kittest: no GPU, no window, real state and (in some
//! tests) the real listener on port 0.

#![allow(unused_imports)]

mod detail;
mod files;
mod list;
mod live;
mod workbench;

use crate::support;

use std::time::Duration;

use eframe::egui;
use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use hookscope::events::Stored;
use hookscope::gui::state::{
    Command, FilesCommand, ListenerCommand, ListenerStatus, ReplyForm, SecretsCommand, ViewCommand,
    WorkbenchCommand,
};
use hookscope::gui::{HookscopeApp, Startup};
use hookscope::record::{Record, Signature};
use jsonwebtoken::Algorithm;
use support::window::{
    copied_text, harness, harness_stepping, in_list, set_secret, settle, step_until,
    step_until_notice,
};
use support::{SECRET, sign, truora_claims};

/// A window (no listener) showing these records, as if they had just arrived.
pub fn showing(records: Vec<Record>) -> Harness<'static, HookscopeApp> {
    let mut harness = harness(Startup::default());
    let sender = harness.state().state.record_sender();
    for record in records {
        sender.send(record).unwrap();
    }
    settle(&mut harness);
    harness
}

pub fn filter(
    text: &str,
    signature: Option<Signature>,
    product: Option<hookscope::truora::Product>,
) -> Command {
    Command::View(ViewCommand::SetFilter {
        text: text.to_owned(),
        signature,
        product,
    })
}

pub fn listening_startup(dir: &tempfile::TempDir) -> Startup {
    let mut startup = Startup {
        journal: Some(dir.path().join("events.ndjson")),
        listen: true,
        ..Default::default()
    };
    startup.settings.bind = "127.0.0.1:0".to_owned();
    startup
}

/// The address the window's listener is bound to.
pub fn listening_addr(harness: &Harness<'static, HookscopeApp>) -> std::net::SocketAddr {
    match &harness.state().state.listener.status {
        ListenerStatus::Running { url, .. } => url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .unwrap(),
        other => panic!("listener not running: {other:?}"),
    }
}

/// A record as the listener would make it, for a token body.
pub fn record(body: &str, path: &str) -> Record {
    let headers = vec![("Content-Type".to_owned(), "application/jwt".to_owned())];
    Record::request(
        "2026-11-26T13:45:11.123Z",
        "POST",
        path,
        "127.0.0.1:5555",
        headers,
        body.as_bytes(),
    )
}

pub fn harness_without_listener(dir: &tempfile::TempDir) -> Harness<'static, HookscopeApp> {
    harness(Startup {
        journal: Some(dir.path().join("events.ndjson")),
        ..Default::default()
    })
}

/// A capture of `n` signed events on `/opened/0`, `/opened/1`, ..., ids from 1, as
/// NDJSON lines.
pub fn capture_text(n: u64) -> String {
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    let mut text = String::new();
    for i in 0..n {
        let mut r = record(&token, &format!("/opened/{i}"));
        r.id = i + 1;
        text.push_str(&serde_json::to_string(&r).unwrap());
        text.push('\n');
    }
    text
}

/// The records of whole processes as the listener would journal them (ids from 1).
pub fn process_records(count: u64) -> Vec<Record> {
    let mut records = Vec::new();
    for serial in 0..count {
        for claims in hookscope::samples::process("check", 1_800_000_000_000, serial, 1500).unwrap()
        {
            let token = sign(&claims, SECRET.as_bytes(), Algorithm::HS256);
            let mut r = record(&token, "/hooks/truora");
            r.id = records.len() as u64 + 1;
            records.push(r);
        }
    }
    records
}

/// A receiver that accepts everything: the classic "never checks" mistake.
pub fn careless_app() -> std::net::SocketAddr {
    support::app(|_| ("200 OK", ""))
}
