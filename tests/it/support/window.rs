//! Driving the window's app in egui_kittest: a harness, stepping until a
//! condition holds, typing a secret.

use std::time::{Duration, Instant};

use eframe::egui;
use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use hookscope::gui::{HookscopeApp, Startup};

/// The app in a 1400x900 harness, stepped twice.
pub fn harness(startup: Startup) -> Harness<'static, HookscopeApp> {
    harness_stepping(startup, 0.25)
}

/// [`harness`] with frames `step_dt` seconds apart (1/60: a display's frames,
/// so that an animation shows as the frames it takes).
pub fn harness_stepping(startup: Startup, step_dt: f32) -> Harness<'static, HookscopeApp> {
    harness_sized(startup, step_dt, [1400.0, 900.0])
}

/// [`harness_stepping`] in a window of `size`.
pub fn harness_sized(
    startup: Startup,
    step_dt: f32,
    size: [f32; 2],
) -> Harness<'static, HookscopeApp> {
    // Tests step the harness themselves, so the waker's context can be a spare one.
    let app = HookscopeApp::with_context(&egui::Context::default(), startup);
    let mut harness = Harness::builder()
        .with_size(size)
        .with_step_dt(step_dt)
        .with_max_steps((1.0 / step_dt) as u64)
        .build_ui_state(
            |ui, app: &mut HookscopeApp| {
                app.logic_pass(ui.ctx());
                app.draw(ui);
            },
            app,
        );
    harness.run_steps(2);
    // The journal opens, reads back and the listener binds on jobs.
    settle(&mut harness);
    harness
}

/// Steps until `done` holds (20 s at most), then two more frames.
pub fn step_until(
    harness: &mut Harness<'static, HookscopeApp>,
    done: impl Fn(&HookscopeApp) -> bool,
) {
    let start = Instant::now();
    while !done(harness.state()) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "condition not reached"
        );
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    harness.run_steps(2);
}

/// Steps until the status bar's notice holds `text` (20 s at most).
pub fn step_until_notice(harness: &mut Harness<'static, HookscopeApp>, text: &str) {
    step_until(harness, |app| {
        app.state
            .notice
            .as_ref()
            .is_some_and(|n| n.text.contains(text))
    });
}

/// Steps a frame, then until the window has settled (no background work, every
/// event sent in filed, no search due; 20 s at most), then two more frames: what
/// a command or an arrival set off is done and drawn. Never a count of frames.
pub fn settle(harness: &mut Harness<'static, HookscopeApp>) {
    harness.step();
    step_until(harness, |app| app.state.settled());
}

/// Types `secret` into the masked field of Secret #1.
pub fn set_secret(harness: &mut Harness<'static, HookscopeApp>, secret: &str) {
    let field = harness.get_by_role_and_label(Role::PasswordInput, "Secret #1");
    field.focus();
    field.set_text_value_accesskit(secret);
    settle(harness);
}

/// The last node with this label: the list's row when the selected event's detail
/// (drawn before the list) shows the same words.
pub fn in_list<'a>(
    harness: &'a Harness<'static, HookscopeApp>,
    label: &'a str,
) -> egui_kittest::Node<'a> {
    harness
        .get_all_by_label(label)
        .last()
        .unwrap_or_else(|| panic!("no node labelled {label:?}"))
}

/// What the app put on the clipboard over the next few frames.
pub fn copied_text(harness: &mut Harness<'static, HookscopeApp>) -> Vec<String> {
    let mut copied = Vec::new();
    for _ in 0..3 {
        harness.step();
        copied.extend(
            harness
                .output()
                .platform_output
                .commands
                .iter()
                .filter_map(|c| match c {
                    egui::OutputCommand::CopyText(text) => Some(text.clone()),
                    _ => None,
                }),
        );
    }
    copied
}
