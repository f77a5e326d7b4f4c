//! Sending: replay, edit and send, probe my app, receiver code, test hooks, failing on purpose.

use super::*;

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
    settle(&mut harness);
    harness.get_by_label("Send test hook").click();
    step_until(&mut harness, |app| app.state.store.len() == 1);
    step_until_notice(&mut harness, "answered 503");
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
    settle(&mut harness);
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
    settle(&mut harness);
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
    settle(&mut harness);
    // Sending many asks first.
    harness.get_by_label_contains("Send all 2 shown events again");
    harness.get_by_label("Replay 2").click();
    step_until(&mut harness, |app| app.state.store.len() == 4);
    assert_eq!(app.records().len(), 3);
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
    settle(&mut harness);
    harness.get_by_label("Probe my app").click();
    settle(&mut harness);
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
    // Advisory cases read as advice, not as failures.
    harness.get_by_label("expired (advisory)");
    // The scorecard keeps to a third of the window, its advice inside it.
    let header = harness.get_by_label("what to check").rect();
    let advice = harness.get_by_label_contains("explicit allow-list").rect();
    assert!(advice.right() <= 1400.0, "advice runs out: {advice:?}");
    let cards = harness
        .get_all_by_label("FAIL")
        .map(|n| n.rect().bottom())
        .fold(0.0f32, f32::max);
    assert!(
        cards - header.top() <= 900.0 / 3.0 + 40.0,
        "the scorecard takes {} px",
        cards - header.top()
    );
}

#[test]
fn edit_and_send_forges_on_purpose_and_links_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness(listening_startup(&dir));
    set_secret(&mut harness, SECRET);
    harness.get_by_label("Send test hook").click();
    step_until(&mut harness, |app| app.state.store.len() == 1);
    harness.key_press(egui::Key::ArrowDown);
    settle(&mut harness);
    let original = harness.state().state.store.get(0).unwrap().summary.id;
    harness.get_by_label("Edit and send…").click();
    settle(&mut harness);
    assert!(
        harness.state().state.workbench.editor.is_some(),
        "{:?}",
        harness.state().state.notice
    );
    settle(&mut harness);
    harness.get_by_label_contains("Edit and send event");
    harness.get_by_label("Claims (JSON)");
    harness.get_by_label("✔ JSON");
    let state = &mut harness.state_mut().state;
    let mut form = state.workbench.editor.as_ref().unwrap().form.clone();
    form.claims = "{not json".to_owned();
    state.apply(Command::Workbench(WorkbenchCommand::EditForm(form.clone())));
    settle(&mut harness);
    harness.get_by_label_contains("not JSON");
    form.claims = r#"{"iss": "Truora", "forged": true}"#.to_owned();
    form.alg = "none".to_owned();
    let state = &mut harness.state_mut().state;
    state.apply(Command::Workbench(WorkbenchCommand::EditForm(form)));
    settle(&mut harness);
    // An unsigned token has nothing to sign with.
    assert!(harness.query_by_label("Sign with").is_none());
    harness.get_by_label_contains("unsigned: an empty signature");
    harness.get_by_label("Send").click();
    // Sent to the window's own listener: it records the forged request once,
    // linked to its original.
    step_until_notice(&mut harness, "replayed 1 event(s)");
    settle(&mut harness);
    assert_eq!(harness.state().state.store.len(), 2, "one event per send");
    let journal = support::read_journal(&dir.path().join("events.ndjson"));
    assert_eq!(journal.len(), 2);
    let linked = &journal[1];
    assert_eq!(linked["replay_of"], original);
    assert_eq!(linked["verification"]["signature"], "unsupported_alg");
    assert_eq!(linked["token"]["claims"]["forged"], true);
}

#[test]
fn a_replay_to_the_windows_own_listener_is_one_linked_event_and_ids_never_repeat() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness(listening_startup(&dir));
    set_secret(&mut harness, SECRET);
    harness.get_by_label("Send test hook").click();
    step_until(&mut harness, |app| app.state.store.len() == 1);
    harness.key_press(egui::Key::ArrowDown);
    settle(&mut harness);
    // No replay URL and no forwarding: the replay goes to the listener itself.
    for round in 1..=2 {
        harness.get_by_label("Replay").click();
        step_until_notice(&mut harness, "replayed 1 event(s)");
        settle(&mut harness);
        harness.state_mut().state.apply(Command::DismissNotice);
        assert_eq!(
            harness.state().state.store.len(),
            1 + round,
            "round {round}"
        );
    }
    let journal = support::read_journal(&dir.path().join("events.ndjson"));
    let ids: Vec<u64> = journal.iter().map(|r| r["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, [1, 2, 3]);
    for replay in &journal[1..] {
        assert_eq!(replay["replay_of"], 1);
        assert_eq!(replay["verification"]["signature"], "valid");
        // The link travels in a header of the listener's own, left out of the record.
        let headers = replay["headers"].to_string().to_ascii_lowercase();
        assert!(!headers.contains("x-hookscope-replay-of"), "{headers}");
        assert_eq!(replay["body"], journal[0]["body"], "sent unchanged");
    }
    // The list tells each replay from its original.
    harness.get_by_label("2 (1)");
    harness.get_by_label("3 (1)");
}

/// The Python receiver the detail's *Receiver code* copies for the row `row`.
fn python_receiver_of(harness: &mut Harness<'static, HookscopeApp>, row: &str) -> Vec<String> {
    settle(harness);
    in_list(harness, row).click();
    settle(harness);
    harness.get_by_label("Receiver code").click();
    settle(harness);
    harness
        .state_mut()
        .state
        .apply(Command::Workbench(WorkbenchCommand::CodeLanguage(
            hookscope::receivers::Language::Python,
        )));
    settle(harness);
    harness.get_by_label("📋 Copy code").click();
    copied_text(harness)
}

#[test]
fn receiver_code_for_the_events_alg_in_the_chosen_language() {
    let mut harness = harness(Startup::default());
    let sender = harness.state().state.record_sender();
    let claims = truora_claims();
    let token = sign(&claims, SECRET.as_bytes(), Algorithm::HS384);
    sender.send(record(&token, "/hooks/one")).unwrap();
    let copied = python_receiver_of(&mut harness, "POST /hooks/one");
    assert!(
        copied.iter().any(|t| t.contains(r#"algorithms=["HS384"]"#)),
        "{copied:?}"
    );
}

#[test]
fn a_test_hook_asks_for_the_secret_instead_of_signing_with_a_hidden_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness(listening_startup(&dir));
    harness.get_by_label("Send test hook").click();
    settle(&mut harness);
    harness.get_by_label_contains("paste the hook's secret first");
    assert_eq!(harness.state().state.store.len(), 0);
}

#[test]
fn a_reply_status_that_is_no_final_answer_is_refused_in_the_form() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness(listening_startup(&dir));
    let state = &mut harness.state_mut().state;
    let form = ReplyForm {
        status: 150,
        ..state.listener.form.clone()
    };
    state.apply(Command::Listener(ListenerCommand::EditReply(form)));
    settle(&mut harness);
    let error = harness.state().state.listener.form_error.clone();
    assert!(
        error
            .as_deref()
            .is_some_and(|e| e.contains("not a final answer")),
        "{error:?}"
    );
    // Requests still get the status in use, and the record says what was sent.
    let url = harness.state().state.url().unwrap().to_owned();
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let reply = support::request(addr.parse().unwrap(), "POST", "/hooks", &[], b"x");
    assert_eq!(reply.status, 200);
}

#[test]
fn edit_and_send_keeps_where_the_token_was() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness(listening_startup(&dir));
    set_secret(&mut harness, SECRET);
    let addr = listening_addr(&harness);
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    let bearer = format!("Bearer {token}");
    let form_body = format!("kind=check&jwt={token}");
    /// A request's headers, body, and where its token is.
    type Sent<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let sent: [Sent; 2] = [
        (&[("Authorization", &bearer)], "{}", "header:authorization"),
        (
            &[("Content-Type", "application/x-www-form-urlencoded")],
            &form_body,
            "form:jwt",
        ),
    ];
    for (n, (headers, body, source)) in sent.iter().enumerate() {
        assert_eq!(
            support::request(addr, "POST", "/hooks", headers, body.as_bytes()).status,
            200
        );
        let original = 2 * n + 1;
        step_until(&mut harness, |app| app.state.store.len() == original);
        let state = &mut harness.state_mut().state;
        state.apply(Command::View(ViewCommand::Select(original as u64 - 1)));
        settle(&mut harness);
        harness.get_by_label("Edit and send…").click();
        settle(&mut harness);
        harness.get_by_label("Send").click();
        step_until(&mut harness, |app| app.state.store.len() == original + 1);
        let journal = support::read_journal(&dir.path().join("events.ndjson"));
        let edited = journal.last().unwrap();
        assert_eq!(edited["replay_of"], original as u64);
        assert_eq!(edited["token"]["source"], *source, "{edited}");
        assert_eq!(edited["verification"]["signature"], "valid");
        if *source == "header:authorization" {
            assert_eq!(edited["body"], "{}", "the body stays as it was");
        } else {
            assert!(
                edited["body"]
                    .as_str()
                    .unwrap()
                    .starts_with("kind=check&jwt=ey"),
                "{edited}"
            );
        }
    }
}

#[test]
fn forgeries_count_as_invalid_and_an_app_that_accepts_one_is_flagged() {
    use base64::Engine as _;
    let b64 = |text: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness(listening_startup(&dir));
    set_secret(&mut harness, SECRET);
    let app = careless_app();
    let state = &mut harness.state_mut().state;
    let form = ReplyForm {
        forward_on: true,
        forward_url: format!("http://{app}"),
        ..state.listener.form.clone()
    };
    state.apply(Command::Listener(ListenerCommand::EditReply(form)));
    settle(&mut harness);
    let addr = listening_addr(&harness);
    let claims = b64(&truora_claims().to_string());
    let none = format!("{}.{claims}.", b64(r#"{"alg":"none","typ":"JWT"}"#));
    let wrong = sign(
        &truora_claims(),
        b"not-the-hook-secret-not-the-hook",
        Algorithm::HS256,
    );
    for token in [&none, &wrong] {
        support::request(addr, "POST", "/hooks", &[], token.as_bytes());
    }
    step_until(&mut harness, |app| app.state.store.len() == 2);
    // alg none is a failure as loud as a wrong signature, and counted with them.
    harness.get_by_label("2 invalid");
    assert_eq!(
        harness
            .get_all_by_label("⚠ your app accepted a forgery")
            .count(),
        2
    );
}

#[test]
fn a_rows_menu_replays_copies_exports_and_compares_that_event() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness(listening_startup(&dir));
    set_secret(&mut harness, SECRET);
    let addr = listening_addr(&harness);
    for path in ["/hooks/one", "/hooks/two"] {
        let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
        support::request(addr, "POST", path, &[], token.as_bytes());
    }
    step_until(&mut harness, |app| app.state.store.len() == 2);
    let menu = |harness: &mut Harness<'static, HookscopeApp>, row: &str, item: &str| {
        in_list(harness, row).click_secondary();
        settle(harness);
        // The menu is drawn last: its item, not the detail's button of that name.
        in_list(harness, item).click();
    };
    // Copy as curl, for the row clicked, not the one selected.
    menu(&mut harness, "POST /hooks/one", "📋 Copy as curl");
    let copied = copied_text(&mut harness);
    assert!(
        copied.iter().any(|t| t.contains("/hooks/one")),
        "{copied:?}"
    );
    // Replay: one new event, linked to that row's.
    menu(&mut harness, "POST /hooks/two", "Replay");
    settle(&mut harness);
    step_until_notice(&mut harness, "replayed 1 event(s)");
    settle(&mut harness);
    let journal = support::read_journal(&dir.path().join("events.ndjson"));
    assert_eq!(journal.len(), 3);
    assert_eq!(journal[2]["replay_of"], 2);
    // Export this event: the dialog writes it alone.
    menu(&mut harness, "POST /hooks/one", "Export this event…");
    settle(&mut harness);
    harness.get_by_label("Event #1 only");
    let out = dir.path().join("one.ndjson");
    harness
        .state_mut()
        .state
        .apply(Command::Files(FilesCommand::EditDialog {
            path: out.display().to_string(),
            only_filtered: false,
        }));
    harness
        .state_mut()
        .state
        .apply(Command::Files(FilesCommand::Run));
    step_until(&mut harness, |_| out.exists());
    settle(&mut harness);
    let exported = support::read_journal(&out);
    assert_eq!(exported.len(), 1);
    assert_eq!(exported[0]["path"], "/hooks/one");
    // Compare with the selected event.
    in_list(&harness, "POST /hooks/two").click();
    settle(&mut harness);
    menu(
        &mut harness,
        "POST /hooks/one",
        "Compare with the selected event",
    );
    settle(&mut harness);
    assert!(harness.state().state.view.selection.compare.is_some());
    // Replaying all shown is the list's, not one event's detail.
    harness.get_by_label("Replay all 3 shown");
}

#[test]
fn receiver_code_takes_the_token_where_the_event_carried_it() {
    let mut harness = harness(Startup::default());
    let sender = harness.state().state.record_sender();
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    let mut carried = record(
        &format!(r#"{{"kind":"check","jwt":"{token}"}}"#),
        "/hooks/json",
    );
    carried.headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    sender.send(carried).unwrap();
    let copied = python_receiver_of(&mut harness, "POST /hooks/json");
    assert!(
        copied
            .iter()
            .any(|t| t.contains(r#"token = json.loads(body)["jwt"]"#)),
        "{copied:?}"
    );
}

#[test]
fn another_providers_test_request_shows_its_scheme_what_was_signed_its_age_and_its_receiver() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness(listening_startup(&dir));
    // A Stripe endpoint's secret, pasted as Stripe hands it out.
    set_secret(&mut harness, "whsec_stripe_window_test_0123456789");
    // The empty state's product choice holds the providers too.
    harness
        .state_mut()
        .state
        .apply(Command::View(ViewCommand::SetTestProduct(
            "scheme:stripe".to_owned(),
        )));
    settle(&mut harness);
    harness.get_by_label("Send test hook").click();
    step_until(&mut harness, |app| app.state.store.len() == 1);
    let row = harness.state().state.store.get(0).unwrap().summary.clone();
    assert_eq!(row.signature, hookscope::record::Signature::Valid);
    assert_eq!(row.product, hookscope::truora::Product::Stripe);
    // The Product column: the provider and its event type.
    in_list(&harness, "Stripe · payment_intent.succeeded");
    harness.key_press(egui::Key::ArrowDown);
    settle(&mut harness);
    harness.get_by_label("scheme stripe");
    harness.get_by_label_contains("signed: \"");
    harness.get_by_label_contains("+ the raw body (");
    harness.get_by_label_contains("before arrival (within 5 min)");
    // Its receiver code is Stripe's, with Stripe's library.
    harness.get_by_label("Receiver code").click();
    settle(&mut harness);
    use egui_kittest::kittest::NodeT as _;
    let code = harness
        .get_by_role_and_label(egui::accesskit::Role::MultilineTextInput, "Code")
        .accesskit_node()
        .value()
        .unwrap_or_default();
    assert!(
        code.contains("Stripe webhook receiver") && code.contains("WEBHOOK_SECRET"),
        "{code}"
    );
    // Another scheme's receiver, chosen beside the language.
    harness.get_by_label("Receiver of");
    harness
        .state_mut()
        .state
        .apply(Command::Workbench(WorkbenchCommand::CodeScheme(Some(
            Some(hookscope::schemes::Name::Github),
        ))));
    settle(&mut harness);
    let code = harness
        .get_by_role_and_label(egui::accesskit::Role::MultilineTextInput, "Code")
        .accesskit_node()
        .value()
        .unwrap_or_default();
    assert!(code.contains("GitHub webhook receiver"), "{code}");

    // The Product filter holds the providers: Stripe keeps the row, GitHub hides it.
    let state = &mut harness.state_mut().state;
    state.apply(Command::View(ViewCommand::SetFilter {
        text: String::new(),
        signature: None,
        product: Some(hookscope::truora::Product::Github),
    }));
    settle(&mut harness);
    assert!(harness.state().state.store.visible().is_empty());
    harness
        .state_mut()
        .state
        .apply(Command::View(ViewCommand::SetFilter {
            text: String::new(),
            signature: None,
            product: Some(hookscope::truora::Product::Stripe),
        }));
    settle(&mut harness);
    assert_eq!(harness.state().state.store.visible().len(), 1);

    // Probe my app as a receiver of Stripe: Stripe's cases.
    let app = careless_app();
    let state = &mut harness.state_mut().state;
    let form = ReplyForm {
        forward_url: format!("http://{app}/hooks"),
        ..state.listener.form.clone()
    };
    state.apply(Command::Listener(ListenerCommand::EditReply(form)));
    state.apply(Command::Workbench(WorkbenchCommand::ProbeScheme(Some(
        hookscope::schemes::Name::Stripe,
    ))));
    state.apply(Command::Workbench(WorkbenchCommand::Probe));
    step_until(&mut harness, |app| app.state.workbench.probe.is_some());
    let report = harness.state().state.workbench.probe.clone().unwrap();
    let names: Vec<&str> = report.cases.iter().map(|c| c.name.as_str()).collect();
    assert!(
        names.contains(&"rotated_secret") && names.contains(&"v0_only"),
        "{names:?}"
    );
}
