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
    // A forger's algorithm counts with the wrong signatures.
    let invalid =
        state.store.count(Signature::Invalid) + state.store.count(Signature::UnsupportedAlg);
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
        )
        .on_hover_text(
            "A wrong signature, or an algorithm no honest sender uses (alg none, RS256)",
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
            (None, Some(path)) => journal_menu(ui, state, path, &mut commands),
            (None, None) => ui.label("journal: off"),
        };
        super::mail_menu::show(ui, state, &mut commands);
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

/// The journal's path, and a menu for how much of it is kept.
fn journal_menu(
    ui: &mut egui::Ui,
    state: &AppState,
    path: &std::path::Path,
    commands: &mut Vec<Command>,
) -> egui::Response {
    let files = &state.files;
    let kept = match (files.keep_given, files.keep_mib) {
        (Some(_), _) => "bounded by the command line".to_owned(),
        (None, Some(mib)) => format!("keeps {}", mib_text(mib)),
        (None, None) => "keeps everything".to_owned(),
    };
    ui.menu_button(format!("journal: {} ({kept})", path.display()), |ui| {
        ui.label(
            "New events go to this file before their senders get a reply. It is kept \
             in segments beside it; the oldest are deleted when it passes its bound.",
        );
        if let Some(given) = files.keep_given {
            let mut parts = Vec::new();
            if let Some(size) = given.size {
                parts.push(format!("--keep-size {}", mib_text(size >> 20)));
            }
            if let Some(age) = given.age {
                parts.push(format!("--keep-days {:.1}", age.as_secs_f64() / 86_400.0));
            }
            ui.label(format!(
                "This run: {} (the command line).",
                parts.join(", ")
            ));
            return;
        }
        let mut bounded = files.keep_mib.is_some();
        if ui
            .checkbox(&mut bounded, "Delete the oldest events past a size")
            .changed()
        {
            commands.push(Command::KeepJournal(
                bounded.then_some(crate::gui::state::startup::JOURNAL_KEEP_MIB),
            ));
        }
        if let Some(kept) = files.keep_mib {
            // Applied when the value is let go: a drag through small values on its
            // way must not delete anything.
            let id = ui.scope_id().with("journal-keep");
            let mut mib = ui.data(|d| d.get_temp(id)).unwrap_or(kept);
            ui.horizontal(|ui| {
                ui.label("Keep at most");
                let drag = ui.add(
                    egui::DragValue::new(&mut mib)
                        .range(16..=1_048_576)
                        .speed(16)
                        .suffix(" MiB"),
                );
                if drag.dragged() || drag.has_focus() {
                    ui.data_mut(|d| d.insert_temp(id, mib));
                } else {
                    ui.data_mut(|d| d.remove::<u64>(id));
                    if mib != kept {
                        commands.push(Command::KeepJournal(Some(mib)));
                    }
                }
            });
        }
    })
    .response
}

/// A size in MiB as people read it.
fn mib_text(mib: u64) -> String {
    if mib >= 1024 && mib.is_multiple_of(1024) {
        format!("{} GiB", mib / 1024)
    } else {
        format!("{mib} MiB")
    }
}
