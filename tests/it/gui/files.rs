//! Files: export, opening a capture, a capture beside the live events, what is saved.

use super::*;

#[test]
fn export_to_a_path_and_open_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness(Startup::default());
    let sender = harness.state().state.record_sender();
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    for i in 0..3 {
        sender.send(record(&token, &format!("/e{i}"))).unwrap();
    }
    settle(&mut harness);
    for ext in ["ndjson", "json", "har"] {
        harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::E);
        settle(&mut harness);
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
        settle(&mut harness);
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
    settle(&mut harness);
    in_list(&harness, "POST /live/0").click();
    settle(&mut harness);
    let live_selected = harness.state().state.view.selection.selected;
    assert!(live_selected.is_some());
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
    settle(&mut harness);
    assert_eq!(harness.state().state.store.len(), 3);
    harness.get_by_label("POST /opened/1");
    // No Clear over an opened capture: the way back instead.
    assert!(harness.query_by_label("Clear").is_none());
    harness.get_by_label("Back to live").click();
    settle(&mut harness);
    assert_eq!(harness.state().state.store.len(), 3);
    assert!(harness.state().state.files.opened_from.is_none());
    harness.get_by_label("POST /live/2");
    // The live capture's selection is back, with its detail.
    assert_eq!(harness.state().state.view.selection.selected, live_selected);
    harness.get_by_label_contains("no secret is set");
}

#[test]
fn a_failed_export_says_why_in_the_dialog_which_stays_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = showing(vec![record("plain", "/one")]);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::E);
    settle(&mut harness);
    let path = dir.path().join("no-such-folder/out.ndjson");
    harness
        .state_mut()
        .state
        .apply(Command::Files(FilesCommand::EditDialog {
            path: path.display().to_string(),
            only_filtered: false,
        }));
    settle(&mut harness);
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
