//! The status bar: counts, rate, delivery health, journal, eviction, and the latest notice.

use eframe::egui::{self, RichText};

use super::palette;
use super::state::{AppState, Command};
use crate::record::Signature;

/// Draws the status line.
pub fn show(ui: &mut egui::Ui, state: &AppState) -> Vec<Command> {
    let mut commands = Vec::new();
    let total = state.store.len();
    let valid = state.store.count(Signature::Valid);
    let invalid = state.store.count(Signature::Invalid);
    ui.horizontal_wrapped(|ui| {
        ui.label(if total == 1 {
            "1 event".to_owned()
        } else {
            format!("{total} events")
        });
        ui.label(
            RichText::new(format!("{valid} valid"))
                .color(palette::signature(ui.visuals(), Signature::Valid)),
        );
        ui.label(
            RichText::new(format!("{invalid} invalid"))
                .color(palette::signature(ui.visuals(), Signature::Invalid)),
        );
        ui.label(format!("{} other", total - valid - invalid));
        ui.label(format!("{:.1}/s", state.view.arrivals.rate));
        if state.view.list.paused {
            ui.label(
                RichText::new("paused: capture goes on, new events wait").color(palette::CAUTION),
            );
        }
        if let Some(health) = state.listener.health_now {
            let text = format!(
                "{:.0}% of {} deliveries failed (60 min)",
                health.ratio * 100.0,
                health.attempts
            );
            if health.would_disable() {
                ui.label(
                    RichText::new(format!("⚠ {text}: Truora would disable this subscription"))
                        .color(palette::ERROR)
                        .strong(),
                );
            } else if health.is_warning() {
                ui.label(RichText::new(text).color(palette::CAUTION));
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
                .color(palette::WARNING),
            );
        }
        ui.separator();
        match (&state.files.opened_from, &state.files.journal_path) {
            (Some(path), _) => ui.label(format!(
                "showing {}; the live capture goes on ({} events): Back to live",
                path.display(),
                state.live.as_ref().map_or(0, |live| live.len())
            )),
            (None, Some(path)) => ui.label(format!("journal: {}", path.display())),
            (None, None) => ui.label("journal: off"),
        };
        if let Some(notice) = &state.notice {
            ui.separator();
            let color = if notice.error {
                palette::ERROR
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
