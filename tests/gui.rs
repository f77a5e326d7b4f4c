//! The inspector under egui_kittest: no GPU, no window, real state and (in some
//! tests) the real listener on port 0.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::time::Duration;

use eframe::egui;
use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use hookscope::gui::state::{
    Command, FilesCommand, ListenerCommand, ListenerStatus, ReplyForm, ViewCommand,
    WorkbenchCommand,
};
use hookscope::gui::store::Stored;
use hookscope::gui::{HookscopeApp, Startup};
use hookscope::record::{Record, Signature};
use jsonwebtoken::Algorithm;
use support::window::{copied_text, harness, harness_stepping, in_list, set_secret, step_until};
use support::{SECRET, sign, truora_claims};

/// A window (no listener) showing these records, as if they had just arrived.
fn showing(records: Vec<Record>) -> Harness<'static, HookscopeApp> {
    let mut harness = harness(Startup::default());
    let sender = harness.state().state.record_sender();
    for record in records {
        sender.send(record).unwrap();
    }
    harness.run_steps(3);
    harness
}

fn filter(
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

fn listening_startup(dir: &tempfile::TempDir) -> Startup {
    let mut startup = Startup {
        journal: Some(dir.path().join("events.ndjson")),
        listen: true,
        ..Default::default()
    };
    startup.settings.bind = "127.0.0.1:0".to_owned();
    startup
}

/// A record as the listener would make it, for a token body.
fn record(body: &str, path: &str) -> Record {
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

#[test]
fn empty_state_test_hook_and_live_arrival_with_the_real_listener() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness(listening_startup(&dir));
    let url = match &harness.state().state.listener.status {
        ListenerStatus::Running { url, .. } => url.clone(),
        other => panic!("listener not running: {other:?}"),
    };
    harness.get_by_label("Waiting for the first hook");
    harness.get_by_label(&format!("{url}hooks/truora"));
    set_secret(&mut harness, SECRET);
    harness.get_by_label("Send test hook").click();
    step_until(&mut harness, |app| app.state.store.len() == 1);
    in_list(&harness, "Digital identity · succeeded");
    in_list(&harness, "✔ Valid");
    // The first hook of an empty window is selected: its verdict shows at once.
    assert_eq!(harness.state().state.view.selected, Some(0));
    harness.get_by_label_contains("signature verified with secret #1");

    // A hook from outside arrives live too.
    let token = sign(
        &truora_claims(),
        b"some-other-secret-some-other-secret",
        Algorithm::HS256,
    );
    support::request(
        url.trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .unwrap(),
        "POST",
        "/outside",
        &[],
        token.as_bytes(),
    );
    step_until(&mut harness, |app| app.state.store.len() == 2);
    harness.get_by_label("✖ Invalid");
    // Both are in the journal, which a restart restores.
    let lines = support::read_journal(&dir.path().join("events.ndjson"));
    assert_eq!(lines.len(), 2);
    // The window keeps only their rows and where their lines are; each record is
    // read back from the journal by offset.
    let kept_in_journal = |app: &HookscopeApp| {
        let store = &app.state.store;
        store.entries().all(|e| matches!(e.stored, Stored::Line(_)))
            && store
                .entries()
                .map(|e| store.record(e.seq).unwrap().id)
                .eq(lines.iter().map(|l| l["id"].as_u64().unwrap()))
    };
    assert!(kept_in_journal(harness.state()));
    drop(harness);
    let mut restored = harness_without_listener(&dir);
    step_until(&mut restored, |app| app.state.store.len() == 2);
    assert!(kept_in_journal(restored.state()));
    in_list(&restored, "POST /outside").click();
    restored.run_steps(3);
    restored.get_by_label_contains("no secret is set");
    // Clear asks first; Cancel (or Escape) keeps everything.
    restored.get_by_label("Clear").click();
    // A modal lays itself out over a frame or two before it shows.
    restored.run_steps(4);
    restored.get_by_label_contains("Forget the 2 events held here and empty the journal");
    restored.key_press(egui::Key::Escape);
    restored.run_steps(2);
    assert!(restored.state().state.question.is_none());
    assert_eq!(restored.state().state.store.len(), 2);
    // Said yes, it empties the list and the journal.
    restored.get_by_label("Clear").click();
    restored.run_steps(4);
    restored.get_by_label("Clear all").click();
    let journal = dir.path().join("events.ndjson");
    step_until(&mut restored, |app| {
        app.state.store.is_empty() && support::read_journal(&journal).is_empty()
    });
    drop(restored);
    assert_eq!(harness_without_listener(&dir).state().state.store.len(), 0);
}

fn harness_without_listener(dir: &tempfile::TempDir) -> Harness<'static, HookscopeApp> {
    harness(Startup {
        journal: Some(dir.path().join("events.ndjson")),
        ..Default::default()
    })
}

#[test]
fn selecting_shows_claims_and_verdict_and_secret_change_reverifies() {
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    let mut harness = showing(vec![
        record(&token, "/hooks/one"),
        record("just text", "/hooks/two"),
    ]);
    assert_eq!(harness.state().state.store.len(), 2);
    in_list(&harness, "POST /hooks/one").click();
    harness.run_steps(3);
    harness.get_by_label("\"IDP456\"");
    harness.get_by_label_contains("no secret is set");
    // iat shown as a date.
    harness.get_by_label_contains("2024-04-24 23:06:40 UTC");

    set_secret(&mut harness, SECRET);
    step_until(&mut harness, |app| app.state.store.reverifying().is_none());
    assert_eq!(harness.state().state.store.count(Signature::Valid), 1);
    harness.get_by_label_contains("signature verified with secret #1");

    set_secret(&mut harness, "x");
    step_until(&mut harness, |app| app.state.store.reverifying().is_none());
    assert_eq!(harness.state().state.store.count(Signature::Invalid), 1);
    harness.get_by_label_contains("does not match");
}

#[test]
fn a_new_selection_shows_its_detail_from_the_top_at_once() {
    // Frames at a display's rate, so a fade shows as the frames it takes.
    let mut harness = harness_stepping(Startup::default(), 1.0 / 60.0);
    let sender = harness.state().state.record_sender();
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    for path in ["/hooks/one", "/hooks/two"] {
        sender.send(record(&token, path)).unwrap();
    }
    harness.run_steps(3);
    in_list(&harness, "POST /hooks/one").click();
    harness.run();
    let top = harness
        .get_by_label_contains("no secret is set")
        .rect()
        .top();
    // Read down the first event's detail.
    harness.hover_at(egui::pos2(1200.0, 500.0));
    harness.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, -300.0),
        phase: egui::TouchPhase::Move,
        modifiers: egui::Modifiers::NONE,
        source: egui::MouseWheelSource::Wheel,
    });
    harness.run();
    let read = harness
        .get_by_label_contains("no secret is set")
        .rect()
        .top();
    assert!(read < top - 100.0, "the detail scrolled: {top} -> {read}");

    in_list(&harness, "POST /hooks/two").click();
    let frames = harness.run();
    assert_eq!(harness.state().state.view.selected, Some(1));
    let shown = harness
        .get_by_label_contains("no secret is set")
        .rect()
        .top();
    assert_eq!(shown, top, "the new selection's verdict is at the top");
    // Its scroll bars stay as they were instead of fading in over frames.
    assert!(
        frames <= 3,
        "a new selection took {frames} frames to settle"
    );
}

#[test]
fn the_frame_that_files_new_events_shows_the_newest_row_at_the_bottom() {
    // Oldest first: following moves the list down as rows come.
    let mut startup = Startup::default();
    startup.settings.newest_first = false;
    let mut harness = harness(startup);
    let sender = harness.state().state.record_sender();
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    // The first is selected, and the list scrolled to it.
    sender.send(record(&token, "/hooks/n0")).unwrap();
    step_until(&mut harness, |app| app.state.store.len() == 1);
    // More rows than the list shows, so following them scrolls it.
    for n in 1..60 {
        sender
            .send(record(&token, &format!("/hooks/n{n}")))
            .unwrap();
    }
    step_until(&mut harness, |app| app.state.store.len() == 60);
    assert!(
        harness.query_by_label("POST /hooks/n1").is_none(),
        "the list scrolled"
    );
    for n in 60..90 {
        sender
            .send(record(&token, &format!("/hooks/n{n}")))
            .unwrap();
    }
    // One frame at a time, each filing what the ingest job passed on so far.
    while harness.state().state.store.len() < 90 {
        std::thread::sleep(Duration::from_millis(20));
        harness.step();
    }
    // The frame that filed the last of them shows it: the window draws nothing
    // more until the next event.
    assert!(
        harness.query_by_label("POST /hooks/n89").is_some(),
        "the newest row shows in the frame that filed it"
    );
}

#[test]
fn hooks_that_land_together_in_an_empty_window_show_the_newest_with_the_first_selected() {
    let mut harness = harness(Startup::default());
    let sender = harness.state().state.record_sender();
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    for n in 0..60 {
        sender
            .send(record(&token, &format!("/hooks/n{n}")))
            .unwrap();
    }
    step_until(&mut harness, |app| app.state.store.len() == 60);
    assert_eq!(harness.state().state.view.selected, Some(0));
    assert!(harness.state().state.view.follow);
    // Newest first, following: the newest row is at the top, and the first
    // hook's row is far below, its detail open.
    assert!(harness.query_by_label("POST /hooks/n59").is_some());
    assert_eq!(harness.query_all_by_label("POST /hooks/n0").count(), 1);
}

#[test]
fn the_window_is_cleared_to_the_panels_colour_and_no_panel_paints_it_again() {
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    let harness = showing(vec![record(&token, "/hooks/one")]);
    let visuals = harness.ctx.global_style().visuals.clone();
    assert_eq!(
        eframe::App::clear_color(harness.state(), &visuals),
        visuals.panel_fill.to_normalized_gamma_f32()
    );
    // A software renderer shades every pixel of a fill: the window's panels are
    // a window's worth of pixels, which the clear already coloured.
    let window = harness.ctx.content_rect();
    // kittest's own frame around the ui it drives (eframe draws none).
    let harness_frame = window.shrink(8.0);
    let fills: Vec<egui::Rect> = harness
        .output()
        .shapes
        .iter()
        .filter_map(|clipped| match &clipped.shape {
            egui::Shape::Rect(rect) if rect.fill == visuals.panel_fill => Some(rect.rect),
            _ => None,
        })
        .filter(|rect| *rect != harness_frame && rect.area() > window.area() / 50.0)
        .collect();
    assert!(fills.is_empty(), "panels filled again: {fills:?}");
}

#[test]
fn a_click_on_any_text_of_a_row_selects_it() {
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    let mut harness = showing(vec![
        record(&token, "/hooks/one"),
        record("just text", "/hooks/two"),
    ]);
    // The verdict badge of the first event, and the size of the second.
    in_list(&harness, "○ No secret").click();
    harness.run_steps(3);
    assert_eq!(harness.state().state.view.selected, Some(0));
    harness.get_by_label("9 B").click();
    harness.run_steps(3);
    assert_eq!(harness.state().state.view.selected, Some(1));
}

#[test]
fn filters_and_keyboard() {
    let mut harness = harness(Startup::default());
    let sender = harness.state().state.record_sender();
    for product in hookscope::samples::PRODUCTS {
        let claims = hookscope::samples::claims(product, None, 0, 1).unwrap();
        let token = sign(&claims, SECRET.as_bytes(), Algorithm::HS256);
        sender.send(record(&token, &format!("/{product}"))).unwrap();
    }
    sender.send(record("plain", "/plain")).unwrap();
    harness.run_steps(3);
    let products = hookscope::samples::PRODUCTS.len();
    assert_eq!(harness.state().state.store.visible().len(), products + 1);

    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    harness.run_steps(2);
    harness
        .get_by_role_and_label(Role::TextInput, "Filter")
        .type_text("chk");
    harness.run_steps(3);
    // check and continuous_check carry CHK subjects.
    assert_eq!(harness.state().state.store.visible().len(), 2);

    let state = &mut harness.state_mut().state;
    state.apply(filter("", Some(Signature::NotJwt), None));
    harness.run_steps(2);
    assert_eq!(harness.state().state.store.visible().len(), 1);
    harness.get_by_label("POST /plain");

    let state = &mut harness.state_mut().state;
    state.apply(filter("", None, Some(hookscope::truora::Product::Signals)));
    harness.run_steps(2);
    assert_eq!(harness.state().state.store.visible().len(), 1);

    // Arrow keys move the selection over the visible rows once the filter lets go of the keyboard.
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
    let state = &mut harness.state_mut().state;
    state.apply(filter("", None, None));
    harness.run_steps(2);
    harness.key_press(egui::Key::Home);
    harness.run_steps(2);
    let first = harness.state().state.view.selected.unwrap();
    assert_eq!(
        first, products as u64,
        "newest first: the first row is the newest"
    );
    harness.key_press(egui::Key::ArrowDown);
    harness.run_steps(2);
    assert_eq!(harness.state().state.view.selected, Some(first - 1));
    // End and Home go to the last and the first row.
    harness.key_press(egui::Key::End);
    harness.run_steps(2);
    assert_eq!(harness.state().state.view.selected, Some(0));
    harness.key_press(egui::Key::Home);
    harness.run_steps(2);
    assert_eq!(harness.state().state.view.selected, Some(first));
    // Escape closes a dialog.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::E);
    harness.run_steps(2);
    assert!(harness.state().state.files.dialog.is_some());
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
    assert!(harness.state().state.files.dialog.is_none());
}

#[test]
fn export_to_a_path_and_open_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness(Startup::default());
    let sender = harness.state().state.record_sender();
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    for i in 0..3 {
        sender.send(record(&token, &format!("/e{i}"))).unwrap();
    }
    harness.run_steps(3);
    for ext in ["ndjson", "json", "har"] {
        harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::E);
        harness.run_steps(2);
        let path = dir.path().join(format!("out.{ext}"));
        // The in-app path field is there, with a default; the test writes its own path.
        harness.get_by_role_and_label(Role::TextInput, "File");
        harness
            .state_mut()
            .state
            .apply(Command::Files(FilesCommand::EditDialog {
                path: path.display().to_string(),
                only_filtered: false,
            }));
        harness.run_steps(2);
        harness.get_by_label("Export").click();
        step_until(&mut harness, |app| {
            app.state
                .notice
                .as_ref()
                .is_some_and(|n| n.text.starts_with("exported"))
        });
        harness.get_by_label_contains(&format!("exported 3 events to {}", path.display()));
        harness.state_mut().state.apply(Command::DismissNotice);
        assert!(path.exists());
    }
    let har: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out.har")).unwrap())
            .unwrap();
    assert_eq!(har["log"]["entries"].as_array().unwrap().len(), 3);

    let mut other = harness_without_listener(&tempfile::tempdir().unwrap());
    other.get_by_label("Open…");
    let state = &mut other.state_mut().state;
    state.apply(Command::Files(FilesCommand::ShowOpen));
    state.apply(Command::Files(FilesCommand::EditDialog {
        path: dir.path().join("out.json").display().to_string(),
        only_filtered: false,
    }));
    state.apply(Command::Files(FilesCommand::Run));
    step_until(&mut other, |app| app.state.store.len() == 3);
    other.get_by_label("POST /e2");
    other.get_by_label_contains("opened 3 events");
}

#[test]
fn port_taken_is_a_message_with_a_way_out() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut startup = listening_startup(&dir);
    startup.settings.bind = taken.local_addr().unwrap().to_string();
    let mut harness = harness(startup);
    assert!(matches!(
        harness.state().state.listener.status,
        ListenerStatus::Failed(_)
    ));
    harness.get_by_label_contains("already in use");
    harness.get_by_label("Use a free port").click();
    harness.run_steps(2);
    step_until(&mut harness, |app| {
        matches!(app.state.listener.status, ListenerStatus::Running { .. })
    });
    harness.get_by_label("⏺ Listening");
}

#[test]
fn secrets_are_not_saved_unless_asked() {
    let mut harness = harness(Startup::default());
    set_secret(&mut harness, SECRET);
    let settings = harness.state().state.settings();
    assert_eq!(settings.secrets[0].value, None);
    assert!(!serde_json::to_string(&settings).unwrap().contains(SECRET));
    // Remembering goes to the credential store: tests/keyring.rs, in a private
    // D-Bus session, so that no test touches the keyring of whoever runs it.
}

#[test]
fn failing_on_purpose_shows_the_health_warning_and_copy_as_curl() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness(listening_startup(&dir));
    set_secret(&mut harness, SECRET);
    let state = &mut harness.state_mut().state;
    let form = ReplyForm {
        status: 503,
        ..state.listener.form.clone()
    };
    state.apply(Command::Listener(ListenerCommand::EditReply(form)));
    harness.run_steps(2);
    harness.get_by_label("Send test hook").click();
    step_until(&mut harness, |app| app.state.store.len() == 1);
    step_until(&mut harness, |app| {
        app.state
            .notice
            .as_ref()
            .is_some_and(|n| n.text.contains("answered 503"))
    });
    harness.get_by_label_contains("Truora would disable this subscription");
    assert_eq!(
        support::read_journal(&dir.path().join("events.ndjson"))[0]["response"]["status"],
        503
    );
    let journal = std::fs::read_to_string(dir.path().join("events.ndjson")).unwrap();
    assert!(
        !journal.contains(SECRET),
        "the window's journal holds no secret"
    );

    harness.key_press(egui::Key::ArrowDown);
    harness.run_steps(2);
    // Below the fold of the detail panel: clicked the way a screen reader would.
    harness.get_by_label("📋 Copy as curl").click_accesskit();
    // The click is seen in one frame; the copy goes out with the next.
    let copied = copied_text(&mut harness);
    assert!(
        copied
            .iter()
            .any(|t| t.contains("curl -sS --globoff -X $'POST'") && t.contains("/hooks/test")),
        "{copied:?}"
    );
}

#[test]
fn replay_sends_the_request_again_and_records_a_linked_event() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness(listening_startup(&dir));
    set_secret(&mut harness, SECRET);
    harness.get_by_label("Send test hook").click();
    step_until(&mut harness, |app| app.state.store.len() == 1);
    let original_id = support::read_journal(&dir.path().join("events.ndjson"))[0]["id"]
        .as_u64()
        .unwrap();

    // The "app" the replay goes to: another hookscope listener.
    let app = support::Listener::start(&[]);
    harness
        .state_mut()
        .state
        .apply(Command::Listener(ListenerCommand::EditReplayUrl(format!(
            "http://{}",
            app.addr
        ))));
    harness.key_press(egui::Key::ArrowDown);
    harness.run_steps(2);
    harness.get_by_label("Replay").click();
    step_until(&mut harness, |app| app.state.store.len() == 2);
    harness.get_by_label_contains("replayed 1 event(s)");
    // The list tells a replay from its original: its id, and the id it replays.
    harness.get_by_label(&format!("{} ({original_id})", original_id + 1));

    let journal = support::read_journal(&dir.path().join("events.ndjson"));
    let replay = &journal[1];
    assert_eq!(replay["replay_of"], original_id);
    assert_eq!(replay["remote_addr"], "replay");
    assert_eq!(replay["response"]["status"], 200);
    assert_eq!(replay["response"]["forwarded"]["status"], 200);
    let received = app.last();
    assert_eq!(received["body"], journal[0]["body"], "sent unchanged");
    assert_eq!(received["path"], "/hooks/test");

    harness.get_by_label("Replay all 2 shown").click();
    harness.run_steps(4);
    // Sending many asks first.
    harness.get_by_label_contains("Send all 2 shown events again");
    harness.get_by_label("Replay 2").click();
    step_until(&mut harness, |app| app.state.store.len() == 4);
    assert_eq!(app.records().len(), 3);
}

/// A capture of `n` signed events on `/opened/0`, `/opened/1`, ..., ids from 1, as
/// NDJSON lines.
fn capture_text(n: u64) -> String {
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

#[test]
fn open_at_start_loads_a_capture() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("capture.ndjson");
    let mut text = capture_text(4);
    text.push_str("{\"id\":5,\"torn");
    std::fs::write(&path, text).unwrap();
    let mut harness = harness(Startup {
        open: Some(path.clone()),
        ..Default::default()
    });
    step_until(&mut harness, |app| app.state.store.len() == 4);
    harness.get_by_label("POST /opened/3");
    harness.get_by_label_contains("line 5 is cut short");
}

#[test]
fn a_non_loopback_address_is_marked_in_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let mut startup = listening_startup(&dir);
    startup.settings.bind = "0.0.0.0:0".to_owned();
    startup.bind_given = true;
    let harness = harness(startup);
    assert!(matches!(
        harness.state().state.listener.status,
        ListenerStatus::Running { exposed: true, .. }
    ));
    harness.get_by_label_contains("EXPOSED");
    // A sender on this machine reaches every interface through loopback.
    let url = match &harness.state().state.listener.status {
        ListenerStatus::Running { url, .. } => url.clone(),
        other => panic!("{other:?}"),
    };
    let port = url.rsplit(':').next().unwrap().trim_end_matches('/');
    harness.get_by_label(&format!("http://127.0.0.1:{port}/hooks/truora"));
}

#[test]
fn a_saved_non_loopback_address_is_not_bound_until_the_user_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut startup = listening_startup(&dir);
    // Saved from an earlier run, not given on this command line.
    startup.settings.bind = "0.0.0.0:0".to_owned();
    let mut harness = harness(startup);
    assert_eq!(
        harness.state().state.listener.status,
        ListenerStatus::ConfirmExposed {
            addr: "0.0.0.0:0".to_owned()
        }
    );
    harness.get_by_label_contains("reachable from the network: listen there?");
    harness.get_by_label("Listen on 127.0.0.1:0 only").click();
    harness.run_steps(2);
    step_until(&mut harness, |app| {
        matches!(
            app.state.listener.status,
            ListenerStatus::Running { exposed: false, .. }
        )
    });
}

#[test]
fn an_address_on_the_command_line_beats_the_saved_one() {
    use hookscope::gui::app::with_saved;
    use hookscope::gui::state::Settings;
    let saved = Settings {
        bind: "0.0.0.0:8787".to_owned(),
        ..Default::default()
    };
    let mut given = Startup {
        bind_given: true,
        ..Default::default()
    };
    given.settings.bind = "127.0.0.1:8787".to_owned();
    assert_eq!(
        with_saved(given, Some(saved.clone())).settings.bind,
        "127.0.0.1:8787"
    );
    let not_given = Startup::default();
    assert_eq!(
        with_saved(not_given, Some(saved)).settings.bind,
        "0.0.0.0:8787"
    );
}

/// The real window under Xvfb, killed with SIGKILL during a burst: every request
/// that got a 200 is in its journal, and a restart restores them all, skipping a
/// torn last line with a message.
#[test]
fn kill_9_of_the_window_loses_nothing_acknowledged_and_restore_skips_a_torn_line() {
    let Some(display) = support::Display::get() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("events.ndjson");
    let mut command = std::process::Command::new(support::bin());
    command
        .args(["--bind", "127.0.0.1:0", "--secret", SECRET, "--out"])
        .arg(&journal)
        // Its own settings folder, so nothing saved elsewhere changes the address.
        .env("HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env("DISPLAY", &display.name)
        .env_remove("WAYLAND_DISPLAY")
        .env("LIBGL_ALWAYS_SOFTWARE", "1");
    let work = tempfile::tempdir().unwrap();
    let mut window = support::Listener::spawn(command, work, journal.clone());
    let acknowledged = window.kill_9_during_burst(Duration::from_millis(600));
    let expected = hookscope::export::load(&journal).unwrap().records.len();

    // A write cut short by the kill leaves a partial last line; make sure there is one.
    let mut text = std::fs::read(&journal).unwrap();
    if text.last().is_some_and(|b| *b != b'\n') {
        text.push(b'\n');
    }
    text.extend_from_slice(b"{\"id\":999999,\"method\":\"PO");
    std::fs::write(&journal, text).unwrap();
    let bad = hookscope::export::load(&journal).unwrap().problems.len();
    assert!(bad >= 1);

    let mut restored = harness_without_listener(&dir);
    step_until(&mut restored, |app| app.state.store.len() == expected);
    let store = &restored.state().state.store;
    let paths = store.entries().map(|e| e.summary.path.as_ref());
    if let Some(problem) = support::missing(&acknowledged, paths) {
        panic!("restored: {problem}");
    }
    eprintln!(
        "{} acknowledged, {} journaled, {} restored",
        acknowledged.len(),
        expected,
        store.len()
    );
    restored.get_by_label_contains(&format!("skipping {bad} bad line(s)"));
}

/// The records of whole processes as the listener would journal them (ids from 1).
fn process_records(count: u64) -> Vec<Record> {
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

#[test]
fn the_processes_view_groups_steps_and_a_click_selects_the_event() {
    let mut harness = harness(Startup::default());
    set_secret(&mut harness, SECRET);
    let sender = harness.state().state.record_sender();
    let mut records = process_records(3);
    // The second process arrives with its first step last, and one step twice.
    records.swap(3, 5);
    for (i, r) in records.iter_mut().enumerate() {
        // The journal numbers records as they arrive.
        r.id = i as u64 + 1;
    }
    let again = records[4].clone();
    for r in records {
        sender.send(r).unwrap();
    }
    let mut retry = again;
    retry.id = 100;
    sender.send(retry).unwrap();
    harness.run_steps(3);
    // The list marks the event delivered twice.
    assert_eq!(harness.get_all_by_label("×2").count(), 2);

    harness.get_by_label("Processes").click();
    harness.run_steps(2);
    step_until(&mut harness, |app| {
        !app.state.view.processes.building && !app.state.view.processes.list.is_empty()
    });
    harness.get_by_label("3 processes: 3 complete, 0 open, 0 unverified");
    harness.get_by_label("started ×2 (late)");
    harness.get_by_label("created (late)");
    let finished = harness.get_all_by_label("finished").next().unwrap();
    finished.click();
    harness.run_steps(3);
    let selected = harness.state().state.view.selected.unwrap();
    let id = harness
        .state()
        .state
        .store
        .get(selected)
        .unwrap()
        .summary
        .id;
    assert_eq!(id, 3, "the first process's finished step");
}

#[test]
fn an_event_whose_shape_changed_is_marked_and_its_detail_says_how() {
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    let mut claims = truora_claims();
    claims["events"][0]["object"]["risk_level"] = serde_json::json!("low");
    let changed = sign(&claims, SECRET.as_bytes(), Algorithm::HS256);
    let mut harness = showing(vec![
        record(&token, "/hooks/one"),
        record(&changed, "/hooks/two"),
    ]);
    assert_eq!(harness.get_all_by_label("⚠ shape changed").count(), 1);
    harness.get_by_label("POST /hooks/two").click();
    harness.run_steps(3);
    harness.get_by_label("added: object.risk_level");
}

/// A receiver that accepts everything: the classic "never checks" mistake.
fn careless_app() -> std::net::SocketAddr {
    support::app(|_| ("200 OK", ""))
}

#[test]
fn probe_my_app_shows_the_scorecard_with_the_failures() {
    let mut harness = harness(Startup::default());
    set_secret(&mut harness, SECRET);
    let app = careless_app();
    let state = &mut harness.state_mut().state;
    let form = ReplyForm {
        forward_url: format!("http://{app}/hooks"),
        ..state.listener.form.clone()
    };
    state.apply(Command::Listener(ListenerCommand::EditReply(form)));
    harness.get_by_label("Reply & forward").click();
    harness.run_steps(2);
    harness.get_by_label("Probe my app").click();
    harness.run_steps(2);
    step_until(&mut harness, |app| app.state.workbench.probe.is_some());
    let report = harness.state().state.workbench.probe.clone().unwrap();
    let failed = report.failed();
    assert!(
        failed.contains(&"alg_none") && failed.contains(&"wrong_secret"),
        "{failed:?}"
    );
    harness.get_by_label_contains("FAIL: http://");
    harness.get_by_label("alg_none_case");
    assert!(harness.get_all_by_label("FAIL").count() >= 8);
}

#[test]
fn edit_and_send_forges_on_purpose_and_links_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness(listening_startup(&dir));
    set_secret(&mut harness, SECRET);
    harness.get_by_label("Send test hook").click();
    step_until(&mut harness, |app| app.state.store.len() == 1);
    harness.key_press(egui::Key::ArrowDown);
    harness.run_steps(2);
    let original = harness.state().state.store.get(0).unwrap().summary.id;
    harness.get_by_label("Edit and send…").click();
    harness.run_steps(2);
    assert!(
        harness.state().state.workbench.editor.is_some(),
        "{:?}",
        harness.state().state.notice
    );
    harness.run_steps(3);
    harness.get_by_label_contains("Edit and send event");
    harness.get_by_label("Claims (JSON)");
    harness.get_by_label("✔ JSON");
    let state = &mut harness.state_mut().state;
    let mut form = state.workbench.editor.as_ref().unwrap().form.clone();
    form.claims = "{not json".to_owned();
    state.apply(Command::Workbench(WorkbenchCommand::EditForm(form.clone())));
    harness.run_steps(2);
    harness.get_by_label_contains("not JSON");
    form.claims = r#"{"iss": "Truora", "forged": true}"#.to_owned();
    form.alg = "none".to_owned();
    let state = &mut harness.state_mut().state;
    state.apply(Command::Workbench(WorkbenchCommand::EditForm(form)));
    harness.run_steps(2);
    harness.get_by_label("Send").click();
    // The listener captures the forged request, and its result is journaled linked.
    step_until(&mut harness, |app| app.state.store.len() == 3);
    let journal = support::read_journal(&dir.path().join("events.ndjson"));
    let linked = journal
        .iter()
        .find(|r| r["replay_of"] == original)
        .expect("a record linked to the original");
    assert_eq!(linked["verification"]["signature"], "unsupported_alg");
    assert_eq!(linked["token"]["claims"]["forged"], true);
}

#[test]
fn receiver_code_for_the_events_alg_in_the_chosen_language() {
    let mut harness = harness(Startup::default());
    let sender = harness.state().state.record_sender();
    let claims = truora_claims();
    let token = sign(&claims, SECRET.as_bytes(), Algorithm::HS384);
    sender.send(record(&token, "/hooks/one")).unwrap();
    harness.run_steps(3);
    in_list(&harness, "POST /hooks/one").click();
    harness.run_steps(2);
    harness.get_by_label("Receiver code").click();
    harness.run_steps(2);
    harness
        .state_mut()
        .state
        .apply(Command::Workbench(WorkbenchCommand::CodeLanguage(
            hookscope::receivers::Language::Python,
        )));
    harness.run_steps(2);
    harness.get_by_label("📋 Copy code").click();
    let copied = copied_text(&mut harness);
    assert!(
        copied.iter().any(|t| t.contains(r#"algorithms=["HS384"]"#)),
        "{copied:?}"
    );
}

#[test]
fn the_list_shows_what_the_sender_got_and_the_time_state() {
    let mut harness = harness(Startup::default());
    set_secret(&mut harness, SECRET);
    let sender = harness.state().state.record_sender();
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    sender.send(record(&token, "/hooks/ok")).unwrap();
    let mut failed = record(&token, "/hooks/failed");
    failed.response.status = 502;
    sender.send(failed).unwrap();
    let mut claims = truora_claims();
    claims["exp"] = serde_json::json!(1_000_000_000);
    let expired = sign(&claims, SECRET.as_bytes(), Algorithm::HS256);
    sender.send(record(&expired, "/hooks/expired")).unwrap();
    harness.run_steps(3);
    harness.get_by_label("502");
    // Valid, and said to be expired next to the verdict.
    harness.get_by_label("expired");

    harness.get_by_label("Failed deliveries").click();
    harness.run_steps(2);
    assert_eq!(harness.state().state.store.visible().len(), 1);
    harness.get_by_label("POST /hooks/failed");

    // A filter nothing matches says so.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    harness.run_steps(2);
    harness
        .get_by_role_and_label(Role::TextInput, "Filter")
        .type_text("no-such-event");
    harness.run_steps(3);
    harness.get_by_label_contains("No events match the filter (3 held)");
}

#[test]
fn a_test_hook_asks_for_the_secret_instead_of_signing_with_a_hidden_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness(listening_startup(&dir));
    harness.get_by_label("Send test hook").click();
    harness.run_steps(3);
    harness.get_by_label_contains("paste the hook's secret first");
    assert_eq!(harness.state().state.store.len(), 0);
}

#[test]
fn an_opened_capture_is_a_view_of_its_own_and_live_events_wait_behind_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("capture.ndjson");
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    std::fs::write(&path, capture_text(3)).unwrap();
    let mut harness = harness(Startup::default());
    let sender = harness.state().state.record_sender();
    for i in 0..2 {
        sender.send(record(&token, &format!("/live/{i}"))).unwrap();
    }
    harness.run_steps(3);
    let state = &mut harness.state_mut().state;
    state.apply(Command::Files(FilesCommand::ShowOpen));
    state.apply(Command::Files(FilesCommand::EditDialog {
        path: path.display().to_string(),
        only_filtered: false,
    }));
    state.apply(Command::Files(FilesCommand::Run));
    step_until(&mut harness, |app| {
        app.state.files.opened_from.is_some() && app.state.store.len() == 3
    });
    // Live events keep arriving, behind the opened capture.
    sender.send(record(&token, "/live/2")).unwrap();
    harness.run_steps(3);
    assert_eq!(harness.state().state.store.len(), 3);
    harness.get_by_label("POST /opened/1");
    // No Clear over an opened capture: the way back instead.
    assert!(harness.query_by_label("Clear").is_none());
    harness.get_by_label("Back to live").click();
    harness.run_steps(3);
    assert_eq!(harness.state().state.store.len(), 3);
    assert!(harness.state().state.files.opened_from.is_none());
    harness.get_by_label("POST /live/2");
}

#[test]
fn pause_freezes_the_list_while_capture_goes_on() {
    let mut harness = harness(Startup::default());
    let sender = harness.state().state.record_sender();
    sender.send(record("one", "/first")).unwrap();
    harness.run_steps(3);
    harness.get_by_label("Pause").click();
    harness.run_steps(2);
    sender.send(record("two", "/second")).unwrap();
    harness.run_steps(3);
    assert_eq!(harness.state().state.store.len(), 1);
    harness.get_by_label_contains("paused: capture goes on");
    harness.get_by_label("Resume").click();
    harness.run_steps(3);
    assert_eq!(harness.state().state.store.len(), 2);
}

#[test]
fn the_filter_finds_text_in_bodies_headers_and_claims() {
    let mut harness = harness(Startup::default());
    let sender = harness.state().state.record_sender();
    let mut claims = truora_claims();
    claims["events"][0]["object"]["document_number"] = serde_json::json!("CC-88442211");
    let token = sign(&claims, SECRET.as_bytes(), Algorithm::HS256);
    sender.send(record(&token, "/hooks/claims")).unwrap();
    let mut headed = record("plain", "/hooks/header");
    headed
        .headers
        .push(("X-Request-Trace".to_owned(), "trace-7f3a9".to_owned()));
    sender.send(headed).unwrap();
    sender
        .send(record("a body with zebra-stripes", "/hooks/body"))
        .unwrap();
    let mut claims = truora_claims();
    claims["exp"] = serde_json::json!(1_000_000_000);
    let expired = sign(&claims, SECRET.as_bytes(), Algorithm::HS256);
    sender.send(record(&expired, "/hooks/expired")).unwrap();
    harness.run_steps(3);
    for (text, path) in [
        ("88442211", "POST /hooks/claims"),
        ("TRACE-7F3A9", "POST /hooks/header"),
        ("zebra", "POST /hooks/body"),
    ] {
        let state = &mut harness.state_mut().state;
        state.apply(filter(text, None, None));
        step_until(&mut harness, |app| app.state.view.searching.is_none());
        assert_eq!(harness.state().state.store.visible().len(), 1, "{text}");
        harness.get_by_label(path);
    }
    // A new event that matches joins the list at once.
    sender.send(record("zebra again", "/hooks/later")).unwrap();
    harness.run_steps(3);
    assert_eq!(harness.state().state.store.visible().len(), 2);
    // The signature filter offers tokens that are not current.
    let state = &mut harness.state_mut().state;
    state.apply(filter("", None, None));
    state.apply(Command::View(ViewCommand::SetTimeProblem(true)));
    harness.run_steps(2);
    assert_eq!(harness.state().state.store.visible().len(), 1);
    harness.get_by_label("POST /hooks/expired");
}

#[test]
fn a_pasted_token_is_verified_with_the_windows_secrets_and_sent_nowhere() {
    let mut harness = harness(Startup::default());
    set_secret(&mut harness, SECRET);
    harness.get_by_label("Verify a token…").click();
    harness.run_steps(4);
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    harness
        .state_mut()
        .state
        .apply(Command::Workbench(WorkbenchCommand::Paste(Some(format!(
            "  {token}\n"
        )))));
    harness.run_steps(4);
    harness.get_by_label("✔ Valid");
    harness.get_by_label_contains("whitespace around it");
    assert_eq!(harness.state().state.store.len(), 0, "nothing was sent");
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
    assert!(harness.state().state.workbench.paste.is_none());
}

#[test]
fn a_body_shows_pretty_raw_or_as_hex() {
    let mut harness = harness(Startup::default());
    let sender = harness.state().state.record_sender();
    sender
        .send(record(r#"{"token":"none here","n":1}"#, "/json"))
        .unwrap();
    harness.run_steps(3);
    in_list(&harness, "POST /json").click();
    harness.run_steps(3);
    harness.get_by_label_contains("\"n\": 1");
    // What the sender got: the headers and body of the reply.
    harness.get_by_label("x-hookscope-id");
    harness.get_by_label(r#"{"received":true,"id":0}"#);
    harness.get_by_label("Hex").click();
    harness.run_steps(3);
    harness.get_by_label_contains("000000  7b 22 74 6f");
    harness.get_by_label("Raw").click();
    harness.run_steps(3);
    harness.get_by_label_contains(r#"{"token":"none here","n":1}"#);
}

#[test]
fn a_claims_value_copies_its_path_or_filters_the_list() {
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    let mut harness = showing(vec![
        record(&token, "/hooks/one"),
        record("plain", "/hooks/two"),
    ]);
    in_list(&harness, "POST /hooks/one").click();
    harness.run_steps(3);
    harness.get_by_label("\"IDP456\"").click_secondary();
    harness.run_steps(3);
    harness.get_by_label("Copy path").click();
    let copied = copied_text(&mut harness);
    assert!(
        copied.iter().any(|t| t == "events[0].object.process_id"),
        "{copied:?}"
    );
    harness.get_by_label("\"IDP456\"").click_secondary();
    harness.run_steps(3);
    harness.get_by_label("Filter by it").click();
    harness.run_steps(3);
    assert_eq!(harness.state().state.view.filter_text, "IDP456");
    assert_eq!(harness.state().state.store.visible().len(), 1);
}

#[test]
fn times_show_their_date_when_not_today_and_can_be_local() {
    let mut harness = harness(Startup::default());
    let sender = harness.state().state.record_sender();
    // Recorded on 2026-11-26; today the list says the date as well.
    sender.send(record("old", "/old")).unwrap();
    let mut now = record("new", "/new");
    now.received_at = hookscope::record::timestamp(time::OffsetDateTime::now_utc());
    sender.send(now).unwrap();
    harness.run_steps(3);
    harness.get_by_label("2026-11-26 13:45:11");
    harness.get_by_label("Time (UTC)");
    harness.get_by_label("Local time").click();
    harness.run_steps(2);
    harness.get_by_label("Time (local)");
    assert!(harness.state().state.settings().local_time);
}

#[test]
fn ctrl_click_compares_two_events_side_by_side() {
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    let mut claims = truora_claims();
    claims["events"][0]["object"]["status"] = serde_json::json!("failure");
    let other = sign(&claims, SECRET.as_bytes(), Algorithm::HS256);
    let mut harness = showing(vec![
        record(&token, "/hooks/one"),
        record(&other, "/hooks/two"),
    ]);
    in_list(&harness, "POST /hooks/one").click();
    harness.run_steps(2);
    harness
        .get_by_label("POST /hooks/two")
        .click_modifiers(egui::Modifiers::COMMAND);
    harness.run_steps(4);
    assert_eq!(harness.state().state.view.compare, Some(1));
    harness.get_by_label("Claims: 1 differ");
    harness.get_by_label("events[0].object.status");
    harness.get_by_label("\"failure\"");
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
    assert_eq!(harness.state().state.view.compare, None);
}

#[test]
fn rows_under_the_reader_stay_put_when_newer_events_arrive() {
    let mut harness = harness(Startup::default());
    let sender = harness.state().state.record_sender();
    let send = |from: u64, to: u64| {
        for i in from..to {
            let mut r = record("plain", &format!("/p{i}"));
            r.id = 1000 + i;
            sender.send(r).unwrap();
        }
    };
    send(0, 80);
    harness.run_steps(3);
    // The reader scrolls down to an older event: following stops.
    let state = &mut harness.state_mut().state;
    state.apply(Command::View(ViewCommand::SetFollow(false)));
    state.apply(Command::View(ViewCommand::Select(30)));
    harness.run_steps(4);
    let before = in_list(&harness, "1030").rect();
    send(80, 85);
    harness.run_steps(4);
    let after = in_list(&harness, "1030").rect();
    assert!(
        (before.top() - after.top()).abs() < 2.0,
        "the row moved from {before:?} to {after:?}"
    );
}

#[test]
fn a_failed_export_says_why_in_the_dialog_which_stays_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = showing(vec![record("plain", "/one")]);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::E);
    harness.run_steps(2);
    let path = dir.path().join("no-such-folder/out.ndjson");
    harness
        .state_mut()
        .state
        .apply(Command::Files(FilesCommand::EditDialog {
            path: path.display().to_string(),
            only_filtered: false,
        }));
    harness.run_steps(2);
    harness.get_by_label("Export").click();
    step_until(&mut harness, |app| {
        app.state
            .files
            .dialog
            .as_ref()
            .is_some_and(|d| d.error.is_some())
    });
    harness.get_by_label_contains("no-such-folder");
    assert!(
        harness.state().state.notice.is_none(),
        "not in the status bar"
    );
}
