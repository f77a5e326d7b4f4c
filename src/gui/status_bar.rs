//! The status bar: counts, rate, journal, eviction, and the latest notice.

use eframe::egui::{self, Color32, RichText};

use super::state::{AppState, Command};
use crate::record::Signature;

/// Draws the status line.
pub fn show(ui: &mut egui::Ui, state: &mut AppState) -> Vec<Command> {
    let mut commands = Vec::new();
    let total = state.store.len();
    let valid = state.store.count(Signature::Valid);
    let invalid = state.store.count(Signature::Invalid);
    let rate = state.rate();
    ui.horizontal_wrapped(|ui| {
        ui.label(format!("{total} events"));
        ui.label(
            RichText::new(format!("{valid} valid")).color(super::widgets::signature_color(
                Signature::Valid,
                ui.visuals().dark_mode,
            )),
        );
        ui.label(RichText::new(format!("{invalid} invalid")).color(
            super::widgets::signature_color(Signature::Invalid, ui.visuals().dark_mode),
        ));
        ui.label(format!("{} other", total - valid - invalid));
        ui.label(format!("{rate:.1}/s"));
        let health = state.health();
        if health.attempts > 0 {
            let text = format!(
                "{:.0}% of {} deliveries failed (60 min)",
                health.ratio * 100.0,
                health.attempts
            );
            if health.would_disable() {
                ui.label(
                    RichText::new(format!("⚠ {text}: Truora would disable this subscription"))
                        .color(Color32::from_rgb(210, 50, 50))
                        .strong(),
                );
            } else if health.is_warning() {
                ui.label(RichText::new(text).color(Color32::from_rgb(230, 150, 20)));
            } else {
                ui.label(text);
            }
        }
        if state.store.filter().is_active() {
            ui.label(format!("{} shown", state.store.visible().len()));
        }
        if state.store.evicted > 0 {
            ui.label(
                RichText::new(format!(
                    "{} older events left memory (--max-events {}); the journal keeps them",
                    state.store.evicted,
                    state.store.max()
                ))
                .color(Color32::from_rgb(230, 120, 20)),
            );
        }
        ui.separator();
        match (&state.opened_from, &state.journal_path) {
            (Some(path), _) => ui.label(format!("showing {}", path.display())),
            (None, Some(path)) => ui.label(format!("journal: {}", path.display())),
            (None, None) => ui.label("journal: off"),
        };
        if let Some(notice) = &state.notice {
            ui.separator();
            let color = if notice.error {
                Color32::from_rgb(210, 50, 50)
            } else {
                ui.visuals().text_color()
            };
            ui.label(RichText::new(&notice.text).color(color));
            if ui.small_button("✖").on_hover_text("Dismiss").clicked() {
                commands.push(Command::DismissNotice);
            }
        }
    });
    commands
}
