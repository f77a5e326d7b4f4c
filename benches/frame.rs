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
use hookscope::token::{Analyze as _, SecretEncoding};

mod common;

// The window's allocator, so resident memory is what the window would hold.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

/// Writes a journal of `events` records, as the listener would: checked, numbered,
/// one NDJSON line each. Every product, signed right and wrong, plus plain bodies;
/// every event id unique.
fn write_journal(path: &std::path::Path, events: usize) {
    use std::io::Write as _;
    let verifier = hookscope::token::Verifier::new(vec![
        hookscope::token::Secret::new(SECRET, SecretEncoding::Utf8, 0).unwrap(),
    ]);
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let products = hookscope::samples::PRODUCTS;
    for n in 0..events {
        let body = if n % 13 == 12 {
            "not a token".to_owned()
        } else {
            let key = if n % 2 == 0 {
                SECRET
            } else {
                "wrong-secret-wrong-secret-wrong-000"
            };
            let claims = hookscope::samples::claims(
                products[n % products.len()],
                None,
                1_800_000_000,
                n as u64,
            )
            .unwrap();
            hookscope::token::sign::sign(&claims, key.as_bytes(), jsonwebtoken::Algorithm::HS256)
                .unwrap()
        };
        let mut record = record(&body, n);
        record.analyze(&verifier, 1_800_000_000);
        record.id = n as u64 + 1;
        serde_json::to_writer(&mut out, &record).unwrap();
        out.write_all(b"\n").unwrap();
    }
    out.flush().unwrap();
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
    let events = option("--events", 1_000_000);
    let frames = option("--frames", 300);
    let live = option("--live", 100_000);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.ndjson");
    let started = Instant::now();
    write_journal(&journal, events);
    let size = std::fs::metadata(&journal).unwrap().len();
    println!(
        "frame bench: a journal of {events} events, {:.0} MiB, written in {:.1} s",
        size as f64 / 1_048_576.0,
        started.elapsed().as_secs_f64()
    );
    let before = resident_bytes();
    let ctx = egui::Context::default();
    let started = Instant::now();
    let mut app = HookscopeApp::with_context(
        &ctx,
        Startup {
            max_events: events + live,
            journal: Some(journal.clone()),
            secrets: vec![SECRET.to_owned()],
            ..Default::default()
        },
    );
    let mut ticks = 0;
    while app.state.files.loading.is_some() || app.state.store.len() < events {
        let _ = app.state.tick();
        ticks += 1;
        std::thread::sleep(Duration::from_millis(16));
    }
    let restore = started.elapsed();
    let after = resident_bytes();
    println!(
        "restore {events} events from the journal: {:.2} s ({:.1} µs/event, {} cores, progress shown over {ticks} frames); resident +{:.1} MiB = {:.0} bytes/event (total {:.1} MiB)",
        restore.as_secs_f64(),
        restore.as_secs_f64() * 1e6 / events as f64,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        (after - before) as f64 / 1_048_576.0,
        (after - before) as f64 / events as f64,
        after as f64 / 1_048_576.0
    );
    // Live events, committed to the window's journal as the listener does (64 at
    // a time): worked out on the ingest job, filed by the frame.
    let token = common::token();
    while app.state.journal().is_none() {
        let _ = app.state.tick();
        std::thread::sleep(Duration::from_millis(5));
    }
    let journal = app.state.journal().unwrap().handle();
    let verifier = app.state.verifier().clone();
    let started = Instant::now();
    let mut filing = Duration::ZERO;
    let sent = token.clone();
    let committing = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            for batch in (0..live).collect::<Vec<_>>().chunks(64) {
                let mut commits = tokio::task::JoinSet::new();
                for n in batch {
                    let mut record = record(&sent, events + n);
                    record.analyze(&verifier, hookscope::token::unix_now());
                    let journal = journal.clone();
                    commits.spawn(async move { journal.commit(record).await });
                }
                while let Some(id) = commits.join_next().await {
                    id.unwrap().unwrap();
                }
            }
        });
    });
    while app.state.store.len() < events + live {
        let held = app.state.store.len();
        let t0 = Instant::now();
        let _ = app.state.tick();
        // Only the frames that filed events: the others wait for the ingest job.
        if app.state.store.len() > held {
            filing += t0.elapsed();
        }
    }
    committing.join().unwrap();
    println!(
        "take in {live} live events committed to the journal: {:.2} s in all ({:.1} µs/event, checking and committing included), {:.2} µs/event on the UI thread; resident {:.1} MiB",
        started.elapsed().as_secs_f64(),
        started.elapsed().as_secs_f64() * 1e6 / live as f64,
        filing.as_secs_f64() * 1e6 / live as f64,
        resident_bytes() as f64 / 1_048_576.0
    );
    filing_cost(&token);
    let held = app.state.store.len();
    // Re-verify everything after a secret change, as the window does, on a job.
    app.state.apply(Command::Secrets(SecretsCommand::Edit {
        index: 0,
        label: "bench".to_owned(),
        value: "another-secret-another-secret-00000".to_owned(),
        encoding: SecretEncoding::Utf8,
    }));
    let started = Instant::now();
    let mut worst = Duration::ZERO;
    while app.state.store.reverifying().is_some() {
        let t0 = Instant::now();
        let _ = app.state.tick();
        worst = worst.max(t0.elapsed());
        std::thread::sleep(Duration::from_millis(16));
    }
    println!(
        "re-verify {held} events after a secret change: {:.2} s on a job (the slowest frame's logic meanwhile {:.2} ms)",
        started.elapsed().as_secs_f64(),
        worst.as_secs_f64() * 1000.0
    );
    app.state.apply(Command::Secrets(SecretsCommand::Edit {
        index: 0,
        label: "bench".to_owned(),
        value: SECRET.to_owned(),
        encoding: SecretEncoding::Utf8,
    }));
    while app.state.store.reverifying().is_some() {
        let _ = app.state.tick();
        std::thread::sleep(Duration::from_millis(16));
    }
    // A text only the claims hold: found by the background search.
    app.state.apply(Command::View(ViewCommand::SetFilter {
        text: "face-recognition".to_owned(),
        signature: None,
        product: None,
    }));
    let started = Instant::now();
    let _ = app.state.tick();
    while app.state.busy() {
        let _ = app.state.tick();
        std::thread::sleep(Duration::from_millis(16));
    }
    println!(
        "search {held} events' bodies, headers and claims for \"face-recognition\": {:.2} s on a job, {} found",
        started.elapsed().as_secs_f64(),
        app.state.store.visible().len()
    );
    export_timings(&app, held);
    app.state.apply(Command::View(ViewCommand::SetFilter {
        text: "chk".to_owned(),
        signature: Some(Signature::Valid),
        product: None,
    }));
    // The frames below are measured once the full-text search this starts is done.
    let _ = app.state.tick();
    while app.state.busy() {
        let _ = app.state.tick();
        std::thread::sleep(Duration::from_millis(16));
    }
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
    println!(
        "resident at the end, {} events held: {:.1} MiB",
        app.state.store.len(),
        resident_bytes() as f64 / 1_048_576.0
    );
}

/// What filing one event costs the UI thread: the ingest job has worked it out
/// (row, shape, where its line is); the frame only adds it to the store.
fn filing_cost(token: &str) {
    let verifier = hookscope::token::Verifier::new(vec![
        hookscope::token::Secret::new(SECRET, SecretEncoding::Utf8, 0).unwrap(),
    ]);
    let mut ingester = hookscope::events::Ingester::default();
    let n = 100_000;
    let ingested: Vec<_> = (0..n)
        .map(|i| {
            let mut record = record(token, i);
            record.analyze(&verifier, 1_800_000_000);
            let line = hookscope::ndjson::Line {
                offset: i as u64 * 2048,
                len: 2000,
            };
            ingester.ingest(record, Some(line), None)
        })
        .collect();
    let mut store = hookscope::events::Store::new(n);
    let started = Instant::now();
    for event in ingested {
        store.push_ingested(event);
    }
    println!(
        "filing an event the ingest job worked out: {:.2} µs on the UI thread",
        started.elapsed().as_secs_f64() * 1e6 / n as f64
    );
}

/// Exporting every held event (read by offset and decoded again, as the window's
/// Export does) to NDJSON, against serde_json serialising the records into memory.
fn export_timings(app: &HookscopeApp, events: usize) {
    let verifier = app.state.verifier().clone();
    let located = app.state.store.locate_all();
    let started = Instant::now();
    let mut reference = Vec::new();
    for (_, record) in located.iter().take(100_000) {
        let mut record = record.unwrap();
        record.analyze(&verifier, hookscope::token::unix_now());
        serde_json::to_writer(&mut reference, &record).unwrap();
        reference.push(b'\n');
    }
    let in_memory = started.elapsed().as_secs_f64() * events as f64 / events.min(100_000) as f64;
    drop(reference);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.ndjson");
    let started = Instant::now();
    let records = located.iter().map(|(_, record)| {
        record.map(|mut record| {
            record.analyze(&verifier, hookscope::token::unix_now());
            record
        })
    });
    hookscope::export::write_atomic(
        &path,
        hookscope::export::Format::Ndjson,
        records,
        hookscope::export::DEFAULT_ORIGIN,
    )
    .unwrap();
    let took = started.elapsed();
    let size = std::fs::metadata(&path).unwrap().len();
    println!(
        "export {events} events to .ndjson, read by offset: {:.2} s, {:.0} MiB ({:.2}x reading, decoding and serialising them into memory with serde_json, {:.2} s, resident {:.0} MiB)",
        took.as_secs_f64(),
        size as f64 / 1_048_576.0,
        took.as_secs_f64() / in_memory,
        in_memory,
        resident_bytes() as f64 / 1_048_576.0
    );
}
