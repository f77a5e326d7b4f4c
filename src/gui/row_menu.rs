//! A row's menu in the list (right click): what the detail offers for one event,
//! without selecting it first; a mail offers only what applies to mail.

use eframe::egui;

use super::state::{Command, FilesCommand, ViewCommand, WorkbenchCommand};
use crate::events::Summary;

/// A row's menu (right click): what the detail offers for one event, without
/// selecting it first.
pub fn show(
    ui: &mut egui::Ui,
    seq: u64,
    s: &Summary,
    selected: Option<u64>,
    commands: &mut Vec<Command>,
) {
    let select = Command::View(ViewCommand::Select(seq));
    // A mail is no request: nothing to send again over HTTP.
    let request = !s.mail;
    if request && ui.button("Replay").clicked() {
        commands.extend([select.clone(), Command::Replay { shown: false }]);
        ui.close();
    }
    if request && ui.button("Edit and send…").clicked() {
        commands.extend([select.clone(), Command::Workbench(WorkbenchCommand::Edit)]);
        ui.close();
    }
    if request && ui.button("📋 Copy as curl").clicked() {
        commands.push(Command::CopyCurl(seq));
        ui.close();
    }
    if ui.button("Export this event…").clicked() {
        commands.push(Command::Files(FilesCommand::ExportEvent {
            seq,
            id: s.id,
            mail: false,
        }));
        ui.close();
    }
    if let Some(other) = selected.filter(|other| *other != seq)
        && ui.button("Compare with the selected event").clicked()
    {
        commands.extend([
            Command::View(ViewCommand::Select(other)),
            Command::View(ViewCommand::Compare(Some(seq))),
        ]);
        ui.close();
    }
}
