//! The list: rows, selection, filters and keys, full-text search, times, comparing two events.

use super::*;

#[test]
fn a_click_on_any_text_of_a_row_selects_it() {
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    let mut harness = showing(vec![
        record(&token, "/hooks/one"),
        record("just text", "/hooks/two"),
    ]);
    // The verdict badge of the first event, and the size of the second.
    in_list(&harness, "○ No secret").click();
    settle(&mut harness);
    assert_eq!(harness.state().state.view.selection.selected, Some(0));
    harness.get_by_label("9 B").click();
    settle(&mut harness);
    assert_eq!(harness.state().state.view.selection.selected, Some(1));
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
    settle(&mut harness);
    let products = hookscope::samples::PRODUCTS.len();
    assert_eq!(harness.state().state.store.visible().len(), products + 1);

    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    settle(&mut harness);
    harness
        .get_by_role_and_label(Role::TextInput, "Filter")
        .type_text("chk");
    settle(&mut harness);
    // check and continuous_check carry CHK subjects.
    assert_eq!(harness.state().state.store.visible().len(), 2);

    let state = &mut harness.state_mut().state;
    state.apply(filter("", Some(Signature::Unsigned), None));
    settle(&mut harness);
    assert_eq!(harness.state().state.store.visible().len(), 1);
    harness.get_by_label("POST /plain");

    let state = &mut harness.state_mut().state;
    state.apply(filter("", None, Some(hookscope::truora::Product::Signals)));
    settle(&mut harness);
    assert_eq!(harness.state().state.store.visible().len(), 1);

    // Arrow keys move the selection over the visible rows once the filter lets go of the keyboard.
    harness.key_press(egui::Key::Escape);
    settle(&mut harness);
    let state = &mut harness.state_mut().state;
    state.apply(filter("", None, None));
    settle(&mut harness);
    harness.key_press(egui::Key::Home);
    settle(&mut harness);
    let first = harness.state().state.view.selection.selected.unwrap();
    assert_eq!(
        first, products as u64,
        "newest first: the first row is the newest"
    );
    harness.key_press(egui::Key::ArrowDown);
    settle(&mut harness);
    assert_eq!(
        harness.state().state.view.selection.selected,
        Some(first - 1)
    );
    // End and Home go to the last and the first row.
    harness.key_press(egui::Key::End);
    settle(&mut harness);
    assert_eq!(harness.state().state.view.selection.selected, Some(0));
    harness.key_press(egui::Key::Home);
    settle(&mut harness);
    assert_eq!(harness.state().state.view.selection.selected, Some(first));
    // Escape closes a dialog.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::E);
    settle(&mut harness);
    assert!(harness.state().state.files.dialog.is_some());
    harness.key_press(egui::Key::Escape);
    settle(&mut harness);
    assert!(harness.state().state.files.dialog.is_none());
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
    settle(&mut harness);
    harness.get_by_label("502");
    // Valid, and said to be expired next to the verdict.
    harness.get_by_label("expired");

    harness.get_by_label("Failed deliveries").click();
    settle(&mut harness);
    assert_eq!(harness.state().state.store.visible().len(), 1);
    harness.get_by_label("POST /hooks/failed");

    // A filter nothing matches says so.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    settle(&mut harness);
    harness
        .get_by_role_and_label(Role::TextInput, "Filter")
        .type_text("no-such-event");
    settle(&mut harness);
    harness.get_by_label_contains(
        "No events match the text \"no-such-event\" and Failed deliveries (3 held)",
    );
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
    settle(&mut harness);
    for (text, path) in [
        ("88442211", "POST /hooks/claims"),
        ("TRACE-7F3A9", "POST /hooks/header"),
        ("zebra", "POST /hooks/body"),
    ] {
        let state = &mut harness.state_mut().state;
        state.apply(filter(text, None, None));
        step_until(&mut harness, |app| app.state.view.searching.is_none());
        assert_eq!(harness.state().state.store.visible().len(), 1, "{text}");
        in_list(&harness, path);
    }
    // A new event that matches joins the list at once.
    sender.send(record("zebra again", "/hooks/later")).unwrap();
    settle(&mut harness);
    assert_eq!(harness.state().state.store.visible().len(), 2);
    // The signature filter offers tokens that are not current.
    let state = &mut harness.state_mut().state;
    state.apply(filter("", None, None));
    state.apply(Command::View(ViewCommand::SetTimeProblem(true)));
    settle(&mut harness);
    assert_eq!(harness.state().state.store.visible().len(), 1);
    harness.get_by_label("POST /hooks/expired");
}

#[test]
fn times_show_their_date_when_not_today_and_can_be_local() {
    let mut harness = harness(Startup::default());
    let sender = harness.state().state.record_sender();
    // Recorded on 2026-11-26; today the list says the date as well.
    sender.send(record("old", "/old")).unwrap();
    let mut now = record("new", "/new");
    now.received_at = hookscope::record::now();
    sender.send(now).unwrap();
    settle(&mut harness);
    harness.get_by_label("2026-11-26 13:45:11");
    harness.get_by_label("Time (UTC)");
    harness.get_by_label("Local time").click();
    settle(&mut harness);
    harness.get_by_label("Time (local)");
    assert!(harness.state().state.settings().local_time);
}

#[test]
fn ctrl_click_compares_two_events_side_by_side() {
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    let mut claims = truora_claims();
    claims["events"][0]["object"]["status"] = serde_json::json!("failure");
    let other = sign(
        &claims,
        b"another-secret-another-secret-00",
        Algorithm::HS384,
    );
    let mut two = record(&other, "/hooks/two");
    let long = "v".repeat(600);
    two.headers.push(("X-Long".to_owned(), long.clone()));
    let mut harness = showing(vec![record(&token, "/hooks/one"), two]);
    set_secret(&mut harness, SECRET);
    in_list(&harness, "POST /hooks/one").click();
    settle(&mut harness);
    harness
        .get_by_label("POST /hooks/two")
        .click_modifiers(egui::Modifiers::COMMAND);
    settle(&mut harness);
    assert_eq!(harness.state().state.view.selection.compare, Some(1));
    // The difference that matters first: the verdict, the alg, the secret.
    harness.get_by_label_contains("Verdict: ");
    harness.get_by_label("signature");
    harness.get_by_label("HS384");
    harness.get_by_label("#1");
    harness.get_by_label("Claims: 1 differ");
    // Times read as dates there too (both sides, beside the detail's own).
    assert!(harness.get_all_by_label_contains(" UTC (").count() >= 3);
    harness.get_by_label("events[0].object.status");
    harness.get_by_label("\"failure\"");
    // A long value wraps inside the window instead of pushing its column out.
    let value = harness.get_by_label(&long).rect();
    assert!(
        value.right() <= 1400.0,
        "the right column runs out: {value:?}"
    );
    harness.key_press(egui::Key::Escape);
    settle(&mut harness);
    assert_eq!(harness.state().state.view.selection.compare, None);
}

#[test]
fn status_bar_notices_go_once_they_are_old_news() {
    use hookscope::gui::state::Notice;
    use std::time::{Duration, Instant};
    let mut harness = harness(Startup::default());
    let said = |error: bool, ago: u64| Notice {
        at: Instant::now() - Duration::from_secs(ago),
        ..if error {
            Notice::error("failed")
        } else {
            Notice::info("news")
        }
    };
    for (notice, stays) in [
        (said(false, 0), true),
        (said(false, 11), false),
        (said(true, 11), true),
        (said(true, 31), false),
    ] {
        harness.state_mut().state.notice = Some(notice.clone());
        settle(&mut harness);
        assert_eq!(harness.state().state.notice.is_some(), stays, "{notice:?}");
    }
}

#[test]
fn an_empty_list_names_its_filters_and_resets_them() {
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    let mut harness = showing(vec![record(&token, "/a"), record("plain", "/b")]);
    settle(&mut harness);
    harness
        .state_mut()
        .state
        .apply(filter("", Some(Signature::Valid), None));
    harness
        .state_mut()
        .state
        .apply(Command::View(ViewCommand::SetFailedOnly(true)));
    settle(&mut harness);
    assert!(harness.state().state.store.visible().is_empty());
    harness.get_by_label_contains("No events match Signature: Valid and Failed deliveries");
    assert!(harness.query_by_label_contains("Escape").is_none());
    harness.get_by_label("Reset filters").click();
    settle(&mut harness);
    assert_eq!(harness.state().state.store.visible().len(), 2);
    assert!(!harness.state().state.store.filter().is_active());
}

#[test]
fn following_changes_only_when_the_list_itself_is_scrolled() {
    let mut harness = harness(Startup::default());
    let sender = harness.state().state.record_sender();
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    for i in 0..80 {
        sender.send(record(&token, &format!("/hooks/{i}"))).unwrap();
    }
    settle(&mut harness);
    let wheel = |harness: &mut Harness<'static, HookscopeApp>, at: egui::Pos2, dy: f32| {
        harness.hover_at(at);
        harness.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, dy),
            phase: egui::TouchPhase::Move,
            modifiers: egui::Modifiers::NONE,
            source: egui::MouseWheelSource::Wheel,
        });
        // Until the wheel's movement is done, however many frames it takes.
        settle(harness);
    };
    let follows = |harness: &Harness<'static, HookscopeApp>| harness.state().state.view.list.follow;
    in_list(&harness, "POST /hooks/79").click();
    settle(&mut harness);
    harness.get_by_label("Follow new events").click();
    settle(&mut harness);
    assert!(!follows(&harness));
    // Reading the detail, and clicking a row at the top, leave it off.
    wheel(&mut harness, egui::pos2(1200.0, 600.0), -300.0);
    assert!(!follows(&harness), "scrolling the detail ticked following");
    in_list(&harness, "POST /hooks/78").click();
    settle(&mut harness);
    assert!(!follows(&harness), "a click on a row ticked following");
    // Scrolling the list back up to the newest event resumes it.
    let list = in_list(&harness, "POST /hooks/70").rect().center();
    wheel(&mut harness, list, -400.0);
    wheel(&mut harness, list, 800.0);
    assert!(
        follows(&harness),
        "back at the newest event, following resumes"
    );
}

#[test]
fn a_selection_hidden_by_a_filter_comes_back_when_it_shows_again() {
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    let mut harness = showing(vec![
        record(&token, "/hooks/apple"),
        record(&token, "/hooks/banana"),
    ]);
    in_list(&harness, "POST /hooks/apple").click();
    settle(&mut harness);
    let apple = harness.state().state.view.selection.selected;
    assert!(apple.is_some());
    harness
        .state_mut()
        .state
        .apply(filter("banana", None, None));
    settle(&mut harness);
    // The detail never shows what the filter hides...
    assert_eq!(harness.state().state.view.selection.selected, None);
    assert!(
        harness
            .query_by_label_contains("no secret is set")
            .is_none()
    );
    // ...and the event comes back selected when the filter shows it again.
    harness.state_mut().state.apply(filter("", None, None));
    settle(&mut harness);
    assert_eq!(harness.state().state.view.selection.selected, apple);
    harness.get_by_label_contains("no secret is set");
    // A selection made meanwhile wins over the hidden one.
    harness
        .state_mut()
        .state
        .apply(filter("banana", None, None));
    settle(&mut harness);
    in_list(&harness, "POST /hooks/banana").click();
    settle(&mut harness);
    let banana = harness.state().state.view.selection.selected;
    harness.state_mut().state.apply(filter("", None, None));
    settle(&mut harness);
    assert_eq!(harness.state().state.view.selection.selected, banana);
}

#[test]
fn a_small_window_scrolls_the_columns_and_a_large_one_keeps_its_bars_whole() {
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    let fill = |harness: &mut Harness<'static, HookscopeApp>| {
        let sender = harness.state().state.record_sender();
        for i in 0..5 {
            sender.send(record(&token, &format!("/hooks/{i}"))).unwrap();
        }
        settle(harness);
    };
    // 900x600: the columns the list has no room for are a sideways scroll away.
    let mut small = support::window::harness_sized(Startup::default(), 0.25, [900.0, 600.0]);
    fill(&mut small);
    let before = small.get_by_label("Subject").rect();
    assert!(before.left() > 500.0, "{before:?}");
    small.hover_at(egui::pos2(200.0, 400.0));
    small.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(-2000.0, 0.0),
        phase: egui::TouchPhase::Move,
        modifiers: egui::Modifiers::NONE,
        source: egui::MouseWheelSource::Wheel,
    });
    settle(&mut small);
    let after = small.get_by_label("Subject").rect();
    assert!(
        after.left() < before.left() - 100.0,
        "{before:?} -> {after:?}"
    );
    assert!(after.left() < 540.0, "still out of view: {after:?}");

    // 1920x1080: the list's bar keeps Clear on the row of its neighbours, and the
    // detail takes a third of the width.
    let mut large = support::window::harness_sized(Startup::default(), 0.25, [1920.0, 1080.0]);
    fill(&mut large);
    let clear = large.get_by_label("Clear").rect();
    let newest = large.get_by_label("Newest first").rect();
    assert!(
        (clear.center().y - newest.center().y).abs() < 4.0,
        "{clear:?} {newest:?}"
    );
    in_list(&large, "POST /hooks/1").click();
    settle(&mut large);
    let detail = large.get_by_label("Edit and send…").rect();
    assert!(
        detail.left() < 1920.0 - 600.0,
        "the detail is narrow: {detail:?}"
    );
}
