//! GUI frame CPU time and memory per event with 100,000 events held, a filter
//! and a selection active: the UI pass of the real app (logic + ui + tessellation)
//! on `egui::Context::run_ui`, no window and no GPU.
//!
//! Run: `cargo bench --bench frame` (`-- --events N --frames N`).

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use eframe::egui;
use hookscope::gui::state::{Command, SecretsCommand, ViewCommand};
use hookscope::gui::{HookscopeApp, Startup};
use hookscope::record::{Record, Signature};
use hookscope::token::SecretEncoding;

mod common;

use common::SECRET;

fn resident_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

fn record(token: &str, n: usize) -> Record {
    let headers = [
        ("Host", "127.0.0.1:8787"),
        ("User-Agent", "Truora-Hooks/1.0"),
        ("Content-Type", "application/jwt"),
    ];
    let mut headers: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    headers.push(("Content-Length".to_owned(), token.len().to_string()));
    let path = format!("/hooks/truora?n={n}");
    Record::request(
        "2026-11-26T13:45:11.123Z",
        "POST",
        &path,
        "127.0.0.1:51234",
        headers,
        token.as_bytes(),
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") {
        return;
    }
    let option = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let events = option("--events", 100_000);
    let frames = option("--frames", 300);
    let ctx = egui::Context::default();
    let mut app = HookscopeApp::with_context(
        &ctx,
        Startup {
            max_events: events,
            ..Default::default()
        },
    );
    app.state.apply(Command::Secrets(SecretsCommand::Edit {
        index: 0,
        label: "bench".to_owned(),
        value: SECRET.to_owned(),
        encoding: SecretEncoding::Utf8,
    }));
    // Tokens for every product, signed right and wrong, plus plain bodies.
    let mut bodies = Vec::new();
    for product in hookscope::samples::PRODUCTS {
        for (i, key) in [SECRET, "wrong-secret-wrong-secret-wrong-000"]
            .iter()
            .enumerate()
        {
            let claims =
                hookscope::samples::claims(product, None, 1_800_000_000, i as u64).unwrap();
            bodies.push(
                hookscope::send::sign(&claims, key.as_bytes(), jsonwebtoken::Algorithm::HS256)
                    .unwrap(),
            );
        }
    }
    bodies.push("not a token".to_owned());
    let before = resident_bytes();
    let sender = app.state.record_sender();
    let started = Instant::now();
    for n in 0..events {
        sender.send(record(&bodies[n % bodies.len()], n)).unwrap();
    }
    drop(sender);
    while app.state.store.len() < events {
        let _ = app.state.tick();
    }
    let ingest = started.elapsed();
    let after = resident_bytes();
    println!(
        "frame bench: {events} events held; ingest {:.2} s ({:.1} µs/event); resident +{:.1} MiB = {:.0} bytes/event (total {:.1} MiB)",
        ingest.as_secs_f64(),
        ingest.as_secs_f64() * 1e6 / events as f64,
        (after - before) as f64 / 1_048_576.0,
        (after - before) as f64 / events as f64,
        after as f64 / 1_048_576.0
    );
    // Re-verify everything after a secret change, as the window does, in frame slices.
    app.state.apply(Command::Secrets(SecretsCommand::Edit {
        index: 0,
        label: "bench".to_owned(),
        value: "another-secret-another-secret-00000".to_owned(),
        encoding: SecretEncoding::Utf8,
    }));
    let started = Instant::now();
    let mut slices = 0;
    while app.state.store.reverifying().is_some() {
        let _ = app.state.tick();
        slices += 1;
    }
    println!(
        "re-verify {events} events after a secret change: {:.2} s in {slices} frame slices of <= 4 ms",
        started.elapsed().as_secs_f64()
    );
    app.state.apply(Command::Secrets(SecretsCommand::Edit {
        index: 0,
        label: "bench".to_owned(),
        value: SECRET.to_owned(),
        encoding: SecretEncoding::Utf8,
    }));
    while app.state.store.reverifying().is_some() {
        let _ = app.state.tick();
    }
    export_timings(&app, events);
    app.state.apply(Command::View(ViewCommand::SetFilter {
        text: "chk".to_owned(),
        signature: Some(Signature::Valid),
        product: None,
    }));
    let visible = app.state.store.visible().len();
    app.state.apply(Command::View(ViewCommand::Move(5)));

    let input = |t: f64| egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1400.0, 900.0),
        )),
        time: Some(t),
        ..Default::default()
    };
    let mut times = Vec::with_capacity(frames);
    for frame in 0..frames + 20 {
        let t0 = Instant::now();
        let output = ctx.run_ui(input(frame as f64 / 60.0), |ui| {
            app.logic_pass(ui.ctx());
            app.draw(ui);
        });
        let primitives = ctx.tessellate(output.shapes, output.pixels_per_point);
        std::hint::black_box(primitives);
        if frame >= 20 {
            times.push(t0.elapsed());
        }
        // Scroll a little every frame, as a user reading the list would.
        if frame % 2 == 0 {
            app.state.apply(Command::View(ViewCommand::Move(1)));
        }
    }
    times.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "frames with {events} events, filter (\"chk\" + valid: {visible} shown) and a moving selection: median {:.2} ms, p95 {:.2} ms, worst {:.2} ms over {frames} frames",
        ms(times[times.len() / 2]),
        ms(times[times.len() * 95 / 100]),
        ms(times[times.len() - 1])
    );
    app.state.apply(Command::View(ViewCommand::SetFilter {
        text: String::new(),
        signature: None,
        product: None,
    }));
    let mut times = Vec::with_capacity(frames);
    for frame in 0..frames {
        let t0 = Instant::now();
        let output = ctx.run_ui(input(10.0 + frame as f64 / 60.0), |ui| {
            app.logic_pass(ui.ctx());
            app.draw(ui);
        });
        std::hint::black_box(ctx.tessellate(output.shapes, output.pixels_per_point));
        times.push(t0.elapsed());
        app.state.apply(Command::View(ViewCommand::Move(3)));
    }
    times.sort_unstable();
    println!(
        "frames with {events} events, no filter, selection moving 3 rows a frame: median {:.2} ms, p95 {:.2} ms, worst {:.2} ms",
        ms(times[times.len() / 2]),
        ms(times[times.len() * 95 / 100]),
        ms(times[times.len() - 1])
    );
}

/// Exporting every held event (decoded again, as the window's Export does) to NDJSON
/// and HAR files, against serialising the same records into memory.
fn export_timings(app: &HookscopeApp, events: usize) {
    let verifier = app.state.verifier().clone();
    let started = Instant::now();
    let records: Vec<Record> = app
        .state
        .store
        .entries()
        .map(|e| e.record.analyzed(&verifier, hookscope::token::unix_now()))
        .collect();
    let decode = started.elapsed();
    let started = Instant::now();
    let mut reference = Vec::new();
    for record in &records {
        serde_json::to_writer(&mut reference, record).unwrap();
        reference.push(b'\n');
    }
    let in_memory = started.elapsed();
    let dir = tempfile::tempdir().unwrap();
    for format in [
        hookscope::export::Format::Ndjson,
        hookscope::export::Format::Har,
    ] {
        let path = dir.path().join(format!("out.{}", format.extension()));
        let started = Instant::now();
        hookscope::export::write_atomic(&path, format, &records, hookscope::export::DEFAULT_ORIGIN)
            .unwrap();
        let took = started.elapsed();
        let size = std::fs::metadata(&path).unwrap().len();
        println!(
            "export {events} events to .{}: {:.2} s, {:.0} MiB ({:.2}x the time of serde_json serialising them in memory, {:.2} s; decoding them again first: {:.2} s)",
            format.extension(),
            took.as_secs_f64(),
            size as f64 / 1_048_576.0,
            took.as_secs_f64() / in_memory.as_secs_f64(),
            in_memory.as_secs_f64(),
            decode.as_secs_f64()
        );
    }
}
