//! The window live: the real listener, arrivals, the address, kill -9 and restore, pause.

use super::*;

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
    assert_eq!(harness.state().state.view.selection.selected, Some(0));
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
    settle(&mut restored);
    restored.get_by_label_contains("no secret is set");
    // Clear asks first; Cancel (or Escape) keeps everything.
    restored.get_by_label("Clear").click();
    // A modal lays itself out over a frame or two before it shows.
    settle(&mut restored);
    restored.get_by_label_contains("Forget the 2 events held here and empty the journal");
    restored.key_press(egui::Key::Escape);
    settle(&mut restored);
    assert!(restored.state().state.question.is_none());
    assert_eq!(restored.state().state.store.len(), 2);
    // Said yes, it empties the list and the journal.
    restored.get_by_label("Clear").click();
    settle(&mut restored);
    restored.get_by_label("Clear all").click();
    let journal = dir.path().join("events.ndjson");
    step_until(&mut restored, |app| {
        app.state.store.is_empty() && support::read_journal(&journal).is_empty()
    });
    drop(restored);
    assert_eq!(harness_without_listener(&dir).state().state.store.len(), 0);
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
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while harness.state().state.store.len() < 90 {
        assert!(
            std::time::Instant::now() < deadline,
            "the events never arrived"
        );
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
    assert_eq!(harness.state().state.view.selection.selected, Some(0));
    assert!(harness.state().state.view.list.follow);
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
    settle(&mut harness);
    step_until(&mut harness, |app| {
        matches!(app.state.listener.status, ListenerStatus::Running { .. })
    });
    harness.get_by_label("⏺ Listening");
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
    settle(&mut harness);
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
    let mut command = real_window(&display, &dir, &journal);
    command.args(["--secret", SECRET]);
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

#[test]
fn pause_freezes_the_list_while_capture_goes_on() {
    let mut harness = harness(Startup::default());
    let sender = harness.state().state.record_sender();
    sender.send(record("one", "/first")).unwrap();
    settle(&mut harness);
    harness.get_by_label("Pause").click();
    settle(&mut harness);
    sender.send(record("two", "/second")).unwrap();
    settle(&mut harness);
    assert_eq!(harness.state().state.store.len(), 1);
    harness.get_by_label_contains("paused: capture goes on");
    harness.get_by_label("Resume").click();
    settle(&mut harness);
    assert_eq!(harness.state().state.store.len(), 2);
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
    settle(&mut harness);
    // The reader scrolls down to an older event: following stops.
    let state = &mut harness.state_mut().state;
    state.apply(Command::View(ViewCommand::SetFollow(false)));
    state.apply(Command::View(ViewCommand::Select(30)));
    settle(&mut harness);
    let before = in_list(&harness, "1030").rect();
    send(80, 85);
    settle(&mut harness);
    let after = in_list(&harness, "1030").rect();
    assert!(
        (before.top() - after.top()).abs() < 2.0,
        "the row moved from {before:?} to {after:?}"
    );
}

#[test]
fn a_one_off_bind_is_not_saved_and_an_address_typed_in_the_window_is() {
    use hookscope::gui::app::with_saved;
    use hookscope::gui::state::Settings;
    let saved = Settings {
        bind: "127.0.0.1:8787".to_owned(),
        ..Default::default()
    };
    let mut given = Startup {
        bind_given: true,
        ..Default::default()
    };
    given.settings.bind = "127.0.0.1:0".to_owned();
    let startup = with_saved(given, Some(saved));
    let mut harness = harness(startup);
    // This run listens where the command line said; the saved address stays.
    assert_eq!(harness.state().state.listener.address, "127.0.0.1:0");
    assert_eq!(harness.state().state.settings().bind, "127.0.0.1:8787");
    harness
        .state_mut()
        .state
        .apply(Command::Listener(ListenerCommand::EditAddress(
            "127.0.0.1:9999".to_owned(),
        )));
    settle(&mut harness);
    assert_eq!(harness.state().state.settings().bind, "127.0.0.1:9999");
    // Without saved settings, a one-off address leaves the default to be saved.
    let mut first = Startup {
        bind_given: true,
        ..Default::default()
    };
    first.settings.bind = "127.0.0.1:0".to_owned();
    assert_eq!(
        with_saved(first, None).saved_bind.as_deref(),
        Some(hookscope::capture::DEFAULT_BIND)
    );
}

#[test]
fn a_bounded_journal_rolls_over_under_the_window_which_reads_each_event_from_its_segment() {
    let dir = tempfile::tempdir().unwrap();
    let mut startup = listening_startup(&dir);
    startup.retention = Some(hookscope::segments::Retention {
        size: Some(64 * 1024),
        age: None,
    });
    let mut harness = harness(startup);
    let addr = listening_addr(&harness);
    let body = "x".repeat(1000);
    for n in 0..200 {
        let reply = support::request(addr, "POST", &format!("/hook/{n}"), &[], body.as_bytes());
        assert_eq!(reply.status, 200);
    }
    step_until(&mut harness, |app| app.state.store.len() == 200);
    let journal = dir.path().join("events.ndjson");
    let on_disk: Vec<u64> = hookscope::export::load(&journal)
        .unwrap()
        .records
        .iter()
        .map(|r| r.id)
        .collect();
    assert!(on_disk[0] > 1, "the oldest segments were deleted");
    assert_eq!(on_disk.last(), Some(&200));
    // Each event still in the journal reads back from its own segment, renamed
    // since the window listed them; the deleted ones say so.
    let store = &harness.state().state.store;
    for entry in store.entries() {
        match store.record(entry.seq) {
            Ok(record) => assert_eq!(record.id, entry.summary.id),
            Err(err) => {
                assert!(entry.summary.id < on_disk[0], "{err}");
                assert!(err.contains("no longer in the journal"), "{err}");
            }
        }
    }
    // A restart restores what the segments hold, in order.
    drop(harness);
    let restored = harness_without_listener(&dir);
    let store = &restored.state().state.store;
    let restored_ids: Vec<u64> = store.entries().map(|e| e.summary.id).collect();
    assert_eq!(restored_ids, on_disk);
    for entry in store.entries() {
        assert_eq!(store.record(entry.seq).unwrap().id, entry.summary.id);
    }
}

#[test]
fn a_journal_deleted_under_the_window_is_opened_again_and_the_window_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness(listening_startup(&dir));
    let addr = listening_addr(&harness);
    assert_eq!(
        support::request(addr, "POST", "/one", &[], b"x").status,
        200
    );
    step_until(&mut harness, |app| app.state.store.len() == 1);
    let journal = dir.path().join("events.ndjson");
    std::fs::remove_file(&journal).unwrap();
    assert_eq!(
        support::request(addr, "POST", "/two", &[], b"x").status,
        200
    );
    step_until(&mut harness, |app| app.state.store.len() == 2);
    harness.get_by_label_contains("was deleted while hookscope wrote it");
    let lines = support::read_journal(&journal);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["path"], "/two");
    // The new event reads back from the new file.
    let store = &harness.state().state.store;
    let newest = store.entries().last().unwrap();
    assert_eq!(store.record(newest.seq).unwrap().path, "/two");
}

#[test]
fn the_reply_and_the_app_url_stay_between_runs_unless_the_command_line_sets_them() {
    use hookscope::gui::state::SavedReply;
    let saved = SavedReply {
        status: 202,
        delay_ms: 50,
        body: "thanks".to_owned(),
        app_url: "http://127.0.0.1:4000/webhooks/truora".to_owned(),
        ..Default::default()
    };
    let mut startup = Startup::default();
    startup.settings.reply = Some(saved.clone());
    let mut harness = harness(startup);
    let form = harness.state().state.listener.form.clone();
    assert_eq!(
        (form.status, form.delay_ms, form.body.as_str()),
        (202, 50, "thanks")
    );
    assert_eq!(form.forward_url, saved.app_url);
    assert!(!form.forward_on, "a restart never forwards on its own");
    // Changed in the window: saved.
    let state = &mut harness.state_mut().state;
    state.apply(Command::Listener(ListenerCommand::EditReply(ReplyForm {
        status: 204,
        ..form
    })));
    assert_eq!(harness.state().state.settings().reply.unwrap().status, 204);

    // Given on the command line: this run's, and the saved one stays saved.
    let mut given = Startup {
        reply_given: true,
        ..Default::default()
    };
    given.settings.reply = Some(saved.clone());
    let harness = support::window::harness(given);
    assert_eq!(harness.state().state.listener.form.status, 200);
    assert_eq!(harness.state().state.settings().reply, Some(saved));
}

#[test]
fn a_mail_sent_to_the_windows_smtp_sink_joins_the_list_and_shows_as_a_mail() {
    let dir = tempfile::tempdir().unwrap();
    let mut startup = listening_startup(&dir);
    startup.smtp = Some(hookscope::email::SmtpConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        ..Default::default()
    });
    let mut harness = harness(startup);
    step_until(&mut harness, |app| app.state.mail.sink.is_some());
    let addr = harness
        .state()
        .state
        .mail
        .sink
        .as_ref()
        .unwrap()
        .local_addr();
    harness.get_by_label(&format!("mail: smtp://{addr}"));
    // A plain SMTP conversation.
    let stream = std::net::TcpStream::connect(addr).unwrap();
    let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    use std::io::{BufRead as _, Write as _};
    let mut line = String::new();
    let mut expect = |reader: &mut std::io::BufReader<std::net::TcpStream>, code: &str| loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        assert!(line.starts_with(code), "{line}");
        if line.as_bytes()[3] == b' ' {
            break;
        }
    };
    expect(&mut reader, "220");
    for (command, code) in [
        ("EHLO test\r\n", "250"),
        ("MAIL FROM:<n@truora.com>\r\n", "250"),
        ("RCPT TO:<dev@example.com>\r\n", "250"),
        ("DATA\r\n", "354"),
        (
            "From: Truora <n@truora.com>\r\nSubject: Check CHK0123456789abcdef0123 finished\r\n\r\nDone.\r\n.\r\n",
            "250",
        ),
    ] {
        writer.write_all(command.as_bytes()).unwrap();
        expect(&mut reader, code);
    }
    step_until(&mut harness, |app| app.state.store.len() == 1);
    // The envelope mark and From where a request shows its method and path.
    harness.get_by_label_contains("✉ Truora <n@").click();
    settle(&mut harness);
    harness.get_by_label_contains("a mail (127.0.0.1:");
    harness.get_by_label("Mail");
    harness.get_by_label_contains("no DKIM-Signature");
    // A mail is no request: no replay, no curl.
    assert!(harness.query_by_label("Edit and send…").is_none());
    // Saved as .eml: the raw message, as it came.
    harness.get_by_label("Save as .eml…").click();
    settle(&mut harness);
    let eml = dir.path().join("saved.eml");
    let state = &mut harness.state_mut().state;
    assert!(
        state
            .files
            .dialog
            .as_ref()
            .unwrap()
            .path
            .ends_with("mail-1.eml")
    );
    state.apply(Command::Files(FilesCommand::EditDialog {
        path: eml.display().to_string(),
        only_filtered: false,
    }));
    state.apply(Command::Files(FilesCommand::Run));
    step_until(&mut harness, |_| eml.exists());
    settle(&mut harness);
    let saved = std::fs::read_to_string(&eml).unwrap();
    assert_eq!(
        saved,
        "From: Truora <n@truora.com>\r\nSubject: Check CHK0123456789abcdef0123 finished\r\n\r\nDone.\r\n"
    );
}

#[test]
fn mail_is_taken_from_the_status_bars_menu_and_again_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness(listening_startup(&dir));
    harness.get_by_label_contains("take mail too in the status bar's mail menu");
    harness.get_by_label("mail: off").click();
    settle(&mut harness);
    let field = harness.get_by_role_and_label(Role::TextInput, "Address");
    field.focus();
    field.set_text_value_accesskit("127.0.0.1:0");
    settle(&mut harness);
    harness.get_by_label("Take mail").click();
    step_until(&mut harness, |app| app.state.mail.sink.is_some());
    let url = harness.state().state.mail.sink.as_ref().unwrap().url();
    harness.get_by_label(&format!("mail: {url}"));
    harness.get_by_label_contains(&format!("5. Mail hooks: send them to {url}"));
    let settings = harness.state().state.settings();
    assert_eq!(settings.smtp.as_deref(), Some("127.0.0.1:0"));
    // The next start takes mail again, where it was saved.
    drop(harness);
    let mut startup = listening_startup(&dir);
    startup.settings = settings;
    let mut restarted = support::window::harness(startup);
    step_until(&mut restarted, |app| app.state.mail.sink.is_some());
    restarted.state_mut().state.apply(Command::Smtp(None));
    settle(&mut restarted);
    assert!(restarted.state().state.mail.sink.is_none());
    assert_eq!(restarted.state().state.settings().smtp, None);
}

/// The real window on `display`, journaling to `journal`, on a free port, with
/// its own settings folder in `dir` so nothing saved elsewhere changes the address.
fn real_window(
    display: &support::Display,
    dir: &tempfile::TempDir,
    journal: &std::path::Path,
) -> std::process::Command {
    let mut command = std::process::Command::new(support::bin());
    command
        .args(["--bind", "127.0.0.1:0", "--out"])
        .arg(journal)
        .env("HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env("DISPLAY", &display.name)
        .env_remove("WAYLAND_DISPLAY")
        .env("LIBGL_ALWAYS_SOFTWARE", "1");
    command
}

/// The real window says on stderr, in one line, when its journal is restored:
/// what a script (or the restore bench) waits for.
#[test]
fn the_real_window_says_when_its_journal_is_restored() {
    let Some(display) = support::Display::get() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("events.ndjson");
    std::fs::write(&journal, capture_text(3)).unwrap();
    let command = real_window(&display, &dir, &journal);
    let work = tempfile::tempdir().unwrap();
    let window = support::Listener::spawn(command, work, journal.clone());
    let started = std::time::Instant::now();
    loop {
        let said = window.stderr.lock().unwrap().clone();
        if let Some(line) = said.lines().find(|l| l.starts_with("restored ")) {
            assert!(line.starts_with("restored 3 events in "), "{line}");
            assert!(line.ends_with(" s"), "{line}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no restored line: {said}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_mailbox_is_followed_from_the_mail_menu_its_password_never_in_the_settings() {
    let Some(dovecot) = support::dovecot::start_dovecot() else {
        eprintln!("skipped: no Dovecot (apt-get install dovecot-imapd)");
        return;
    };
    dovecot.deliver("INBOX", "w1", "CHK00000000000000000000000000000001");
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness(listening_startup(&dir));
    harness.get_by_label("mail: off").click();
    settle(&mut harness);
    let url = format!(
        "imaps://{}@localhost:{}/INBOX",
        support::dovecot::USER.replace('@', "%40"),
        dovecot.port
    );
    for (role, label, text) in [
        (Role::TextInput, "Mailbox", url.clone()),
        (
            Role::PasswordInput,
            "Password",
            support::dovecot::PASSWORD.to_owned(),
        ),
        (
            Role::TextInput,
            "CA file",
            dovecot.pki.ca.display().to_string(),
        ),
    ] {
        let field = harness.get_by_role_and_label(role, label);
        field.focus();
        field.set_text_value_accesskit(&text);
        settle(&mut harness);
    }
    harness.get_by_label("Follow").click();
    // The mail already there comes in, marked as mail, and the menu says so.
    step_until(&mut harness, |app| app.state.store.len() == 1);
    step_until(&mut harness, |app| {
        matches!(
            app.state.mailbox.state(),
            Some(hookscope::email::imap::FollowState::Following { .. })
        )
    });
    harness.get_by_label("mail: imap: following");
    // One more, while the window follows.
    dovecot.deliver("INBOX", "w2", "CHK00000000000000000000000000000002");
    step_until(&mut harness, |app| app.state.store.len() == 2);
    assert!(!dovecot.flags("INBOX").contains("Seen"));
    // The account is saved for the next start; its password is not.
    let settings = harness.state().state.settings();
    let saved = settings.imap.clone().unwrap();
    assert_eq!(
        saved.url,
        format!("imaps://dev%40example.com@localhost:{}/INBOX", dovecot.port)
    );
    let json = serde_json::to_string(&settings).unwrap();
    assert!(!json.contains(support::dovecot::PASSWORD), "{json}");
    harness.state_mut().state.apply(Command::Imap(None));
    settle(&mut harness);
    assert!(harness.state().state.mailbox.state().is_none());
    assert_eq!(harness.state().state.settings().imap, None);
    harness.get_by_label("mail: off");
}

#[test]
fn a_mail_whose_dkim_key_could_not_be_read_is_verified_again_when_asked() {
    if !support::have("openssl", &["version"]) || !support::have("python3", &["-c", "import dkim"])
    {
        eprintln!("skipped: needs openssl and Python's dkimpy");
        return;
    }
    let keys = tempfile::tempdir().unwrap();
    let (key, p) = support::dns::rsa_key(keys.path(), 2048);
    let record = format!("v=DKIM1; k=rsa; p={p}");
    // A DNS server that does not hold the key yet.
    let Some(before) = support::dns::dns(&[("sel._domainkey.other.test", record.clone())]) else {
        eprintln!("skipped: no dnsmasq");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut startup = listening_startup(&dir);
    startup.smtp = Some(hookscope::email::SmtpConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        ..Default::default()
    });
    startup.dns = Some(before.addr);
    let mut harness = harness(startup);
    step_until(&mut harness, |app| app.state.mail.sink.is_some());
    let smtp = harness
        .state()
        .state
        .mail
        .sink
        .as_ref()
        .unwrap()
        .local_addr();
    let script = format!(
        r#"
import dkim, smtplib
key = open({key:?}, "rb").read()
m = b"From: Truora <notifications@truora.test>\r\nTo: dev@example.com\r\nSubject: Check CHK0123456789abcdef0123 finished\r\n\r\nDone.\r\n"
m = dkim.sign(m, b"sel", b"truora.test", key, include_headers=[b"from", b"to", b"subject"]) + m
with smtplib.SMTP("{ip}", {port}) as s:
    s.sendmail("bounce@truora.test", ["dev@example.com"], m)
"#,
        key = key.display().to_string(),
        ip = smtp.ip(),
        port = smtp.port()
    );
    let ran = std::process::Command::new("python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    step_until(&mut harness, |app| app.state.store.len() == 1);
    let signature =
        |app: &hookscope::gui::HookscopeApp| app.state.store.get(0).unwrap().summary.signature;
    assert_eq!(
        signature(harness.state()),
        hookscope::record::Signature::NoSecret
    );
    harness
        .state_mut()
        .state
        .apply(Command::View(ViewCommand::Select(0)));
    settle(&mut harness);

    // The key is published; the same server now answers with it.
    let port = before.addr.port();
    drop(before);
    let _after = support::dns::dns_at(port, &[("sel._domainkey.truora.test", record)]).unwrap();
    harness.get_by_label("Read the DKIM key again").click();
    step_until(&mut harness, |app| {
        signature(app) == hookscope::record::Signature::Valid
    });
    settle(&mut harness);
    let detail = harness
        .state()
        .state
        .view
        .selection
        .detail
        .as_ref()
        .unwrap();
    assert_eq!(
        detail.record.verification.signature,
        hookscope::record::Signature::Valid
    );
    assert!(harness.query_by_label("Read the DKIM key again").is_none());
}

#[test]
fn the_window_attaches_to_a_relay_and_its_hooks_join_the_list_verified_and_forwarded() {
    // The relay: listen --api with a token, on plain HTTP here (TLS: `relay::` tests).
    let dir = tempfile::tempdir().unwrap();
    let token = "7f3e9a1c5b2d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f";
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, token).unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let relay = support::Listener::start(&[
        "--api",
        "127.0.0.1:0",
        "--api-token-file",
        token_file.to_str().unwrap(),
    ]);
    let started = std::time::Instant::now();
    let api = loop {
        let said = relay.stderr.lock().unwrap().clone();
        if let Some(url) = said.lines().find_map(|l| l.strip_prefix("api on ")) {
            break url.trim().trim_end_matches('/').to_owned();
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{said}");
        std::thread::sleep(Duration::from_millis(20));
    };
    // The app the window forwards to.
    let seen: std::sync::Arc<std::sync::Mutex<Vec<String>>> = std::sync::Arc::default();
    let app = {
        let seen = seen.clone();
        support::app(move |request| {
            seen.lock()
                .unwrap()
                .push(request.head.lines().next().unwrap().to_owned());
            ("200 OK", "")
        })
    };
    let home = tempfile::tempdir().unwrap();
    let mut harness = harness(listening_startup(&home));
    set_secret(&mut harness, SECRET);
    let state = &mut harness.state_mut().state;
    let form = ReplyForm {
        forward_on: true,
        forward_url: format!("http://{app}"),
        ..state.listener.form.clone()
    };
    state.apply(Command::Listener(ListenerCommand::EditReply(form)));
    settle(&mut harness);
    // Attached from the top bar, as a user would.
    harness.get_by_label("Attach to a relay…").click();
    settle(&mut harness);
    for (role, label, text) in [
        (Role::TextInput, "Relay URL", api.clone()),
        (Role::PasswordInput, "Token", token.to_owned()),
    ] {
        let field = harness.get_by_role_and_label(role, label);
        field.focus();
        field.set_text_value_accesskit(&text);
        settle(&mut harness);
    }
    harness.get_by_label("Attach").click();
    step_until(&mut harness, |app| {
        matches!(
            app.state.relay.state(),
            Some(hookscope::relay::attach::State::Connected { .. })
        )
    });
    harness.get_by_label("relay: connected");
    // Hooks the relay captures now join the window's list, verified here.
    for i in 0..3 {
        let token = support::sign(
            &support::truora_claims(),
            SECRET.as_bytes(),
            jsonwebtoken::Algorithm::HS256,
        );
        relay.post(
            &format!("/hooks/truora?n={i}"),
            &[("Content-Type", "application/jwt")],
            token.as_bytes(),
        );
    }
    step_until(&mut harness, |app| app.state.store.len() == 3);
    step_until(&mut harness, |_| seen.lock().unwrap().len() == 3);
    let local = support::read_journal(&home.path().join("events.ndjson"));
    assert_eq!(local.len(), 3);
    for (i, record) in local.iter().enumerate() {
        assert_eq!(record["origin"]["relay"], api.as_str());
        assert_eq!(record["origin"]["id"], i as u64 + 1);
        assert_eq!(record["verification"]["signature"], "valid");
        assert_eq!(record["response"]["forwarded"]["status"], 200);
    }
    assert_eq!(seen.lock().unwrap()[0], "POST /hooks/truora?n=0 HTTP/1.1");
    // Saved for the next start, the token not in the settings.
    let settings = harness.state().state.settings();
    assert_eq!(settings.relay.as_ref().unwrap().url, api);
    assert!(!serde_json::to_string(&settings).unwrap().contains(token));
    harness.state_mut().state.apply(Command::Relay(None));
    settle(&mut harness);
    assert!(harness.state().state.relay.state().is_none());
    harness.get_by_label("Attach to a relay…");
}
