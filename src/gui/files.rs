//! The export / open dialog: an in-app path field that always works, and a
//! "Browse…" shortcut to the system dialog where one exists.

use eframe::egui;

use super::state::{AppState, Command, FileMode, FilesCommand};
use super::widgets::labelled_field;

/// Draws the dialog while one is open.
pub fn show(ctx: &egui::Context, state: &AppState) -> Vec<Command> {
    let mut commands = Vec::new();
    let Some(shown) = state.files.dialog.as_ref() else {
        return commands;
    };
    // Edited as a copy; a change goes back as a command.
    let mut dialog = shown.clone();
    let title = match dialog.mode {
        FileMode::Export => "Export events",
        FileMode::Open => "Open a capture",
    };
    let mut open = true;
    egui::Window::new(title)
        .collapsible(false)
        .resizable(false)
        .open(&mut open)
        .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
        .show(ctx, |ui| {
            match dialog.mode {
                FileMode::Export => {
                    ui.label("The extension picks the format: .ndjson (one record per line), .json (an array) or .har (for HTTP tools).");
                }
                FileMode::Open => {
                    ui.label("A journal or export: .ndjson, .json or .har (written by hookscope). It replaces the list shown; live events keep arriving.");
                }
            }
            ui.horizontal(|ui| {
                let field = labelled_field(ui, "File", &mut dialog.path, 420.0, false);
                if field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                    commands.push(Command::Files(FilesCommand::Run));
                }
                let browse = ui.add_enabled(!dialog.browsing, egui::Button::new("Browse…"));
                if browse.clicked() {
                    commands.push(Command::Files(FilesCommand::Browse));
                }
            });
            if dialog.mode == FileMode::Export {
                ui.horizontal(|ui| {
                    for format in crate::export::Format::ALL {
                        let ext = format.extension();
                        if ui.small_button(format!(".{ext}")).clicked() {
                            let path = std::path::Path::new(&dialog.path).with_extension(ext);
                            dialog.path = path.display().to_string();
                        }
                    }
                    match dialog.event {
                        Some((_, id)) => {
                            ui.label(format!("Event #{id} only"));
                        }
                        None => {
                            ui.checkbox(&mut dialog.only_filtered, "Only the events the filter shows");
                        }
                    }
                });
            }
            if let Some(error) = &dialog.error {
                ui.label(egui::RichText::new(format!("✖ {error}")).color(super::palette::ERROR));
            }
            ui.horizontal(|ui| {
                let action = match dialog.mode {
                    FileMode::Export => "Export",
                    FileMode::Open => "Open",
                };
                if ui
                    .add_enabled(!dialog.working, egui::Button::new(action))
                    .clicked()
                {
                    commands.push(Command::Files(FilesCommand::Run));
                }
                if dialog.working {
                    ui.spinner();
                }
                if ui.button("Cancel").clicked() {
                    commands.push(Command::Files(FilesCommand::Close));
                }
            });
        });
    if dialog.path != shown.path || dialog.only_filtered != shown.only_filtered {
        commands.insert(
            0,
            Command::Files(FilesCommand::EditDialog {
                path: dialog.path,
                only_filtered: dialog.only_filtered,
            }),
        );
    }
    if !open {
        commands.push(Command::Files(FilesCommand::Close));
    }
    commands
}
