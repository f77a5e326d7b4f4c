//! The detail of an event: claims and verdict, shapes, the body, copying, a pasted token, processes.

use super::*;

#[test]
fn selecting_shows_claims_and_verdict_and_secret_change_reverifies() {
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    let mut harness = showing(vec![
        record(&token, "/hooks/one"),
        record("just text", "/hooks/two"),
    ]);
    assert_eq!(harness.state().state.store.len(), 2);
    in_list(&harness, "POST /hooks/one").click();
    settle(&mut harness);
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
    settle(&mut harness);
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
    assert_eq!(harness.state().state.view.selection.selected, Some(1));
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
    settle(&mut harness);
    // The list marks the event delivered twice.
    assert_eq!(harness.get_all_by_label("×2").count(), 2);

    harness.get_by_label("Processes").click();
    settle(&mut harness);
    step_until(&mut harness, |app| {
        !app.state.view.processes.building && !app.state.view.processes.list.is_empty()
    });
    harness.get_by_label("3 processes: 3 complete, 0 open, 0 unverified");
    harness.get_by_label("started ×2 (late)");
    harness.get_by_label("created (late)");
    let finished = harness.get_all_by_label("finished").next().unwrap();
    finished.click();
    settle(&mut harness);
    let selected = harness.state().state.view.selection.selected.unwrap();
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
    settle(&mut harness);
    harness.get_by_label("added: object.risk_level");
}

#[test]
fn a_pasted_token_is_verified_with_the_windows_secrets_and_sent_nowhere() {
    let mut harness = harness(Startup::default());
    set_secret(&mut harness, SECRET);
    harness.get_by_label("Verify a token…").click();
    settle(&mut harness);
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    harness
        .state_mut()
        .state
        .apply(Command::Workbench(WorkbenchCommand::Paste(Some(format!(
            "  {token}\n"
        )))));
    settle(&mut harness);
    harness.get_by_label("✔ Valid");
    harness.get_by_label_contains("whitespace around it");
    assert_eq!(harness.state().state.store.len(), 0, "nothing was sent");
    harness.key_press(egui::Key::Escape);
    settle(&mut harness);
    assert!(harness.state().state.workbench.paste.is_none());
}

#[test]
fn a_body_shows_pretty_raw_or_as_hex() {
    let mut harness = harness(Startup::default());
    let sender = harness.state().state.record_sender();
    sender
        .send(record(r#"{"token":"none here","n":1}"#, "/json"))
        .unwrap();
    settle(&mut harness);
    in_list(&harness, "POST /json").click();
    settle(&mut harness);
    harness.get_by_label_contains("\"n\": 1");
    // What the sender got: the headers and body of the reply.
    harness.get_by_label("x-hookscope-id");
    harness.get_by_label(r#"{"received":true,"id":0}"#);
    harness.get_by_label("Hex").click();
    settle(&mut harness);
    harness.get_by_label_contains("000000  7b 22 74 6f");
    harness.get_by_label("Raw").click();
    settle(&mut harness);
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
    settle(&mut harness);
    harness.get_by_label("\"IDP456\"").click_secondary();
    settle(&mut harness);
    harness.get_by_label("Copy path").click();
    let copied = copied_text(&mut harness);
    assert!(
        copied.iter().any(|t| t == "events[0].object.process_id"),
        "{copied:?}"
    );
    harness.get_by_label("\"IDP456\"").click_secondary();
    settle(&mut harness);
    harness.get_by_label("Filter by it").click();
    settle(&mut harness);
    assert_eq!(harness.state().state.store.filter().text, "IDP456");
    assert_eq!(harness.state().state.store.visible().len(), 1);
}

#[test]
fn a_pasted_expired_token_says_so_beside_its_verdict_with_the_date() {
    let mut harness = harness(Startup::default());
    set_secret(&mut harness, SECRET);
    harness.get_by_label("Verify a token…").click();
    settle(&mut harness);
    let mut claims = truora_claims();
    claims["exp"] = serde_json::json!(1_700_000_000);
    let token = sign(&claims, SECRET.as_bytes(), Algorithm::HS256);
    harness
        .state_mut()
        .state
        .apply(Command::Workbench(WorkbenchCommand::Paste(Some(token))));
    settle(&mut harness);
    harness.get_by_label("✔ Valid");
    harness.get_by_label("time: EXPIRED (exp passed)");
    harness.get_by_label_contains("exp: 2023-11-14 22:13:20 UTC");
}

#[test]
fn a_secret_unreadable_in_its_encoding_is_named_when_another_reading_verifies() {
    let secret = "hunter2-not-base64-at-all-hunter2!";
    let token = sign(&truora_claims(), secret.as_bytes(), Algorithm::HS256);
    let mut harness = showing(vec![record(&token, "/hooks/one")]);
    harness
        .state_mut()
        .state
        .apply(Command::Secrets(SecretsCommand::Edit {
            index: 0,
            label: String::new(),
            value: secret.to_owned(),
            encoding: hookscope::token::SecretEncoding::Base64,
        }));
    settle(&mut harness);
    in_list(&harness, "POST /hooks/one").click();
    settle(&mut harness);
    harness.get_by_label_contains(
        "secret #1 is not valid base64, so it was not tried; read as plain text it verifies the token",
    );
}

#[test]
fn a_big_token_shows_its_start_once_and_all_of_it_when_asked() {
    let mut claims = truora_claims();
    claims["padding"] = serde_json::json!("p".repeat(200_000));
    let token = sign(&claims, SECRET.as_bytes(), Algorithm::HS256);
    let mut harness = showing(vec![record(&token, "/hooks/big")]);
    in_list(&harness, "POST /hooks/big").click();
    settle(&mut harness);
    // The longest text shown: the token, since a claim's long value shows its start.
    let longest = |harness: &Harness<'static, HookscopeApp>| {
        harness
            .get_all_by(|_| true)
            .filter_map(|n| {
                use egui_kittest::kittest::NodeT as _;
                n.accesskit_node().value().map(|v| v.len())
            })
            .max()
            .unwrap_or(0)
    };
    // The start only, and once: the body is said to be the token.
    assert!(longest(&harness) <= 8192 + 2, "{}", longest(&harness));
    harness.get_by_label_contains("The body is the token shown above");
    // Below the fold of the detail: clicked the way a screen reader would.
    harness
        .get_by_label_contains("Show all (")
        .click_accesskit();
    settle(&mut harness);
    assert_eq!(longest(&harness), token.len());
}
