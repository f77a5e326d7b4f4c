//! *Edit and send*: an event's claims as JSON (checked as they are typed), the
//! header's `alg`, how to sign (a secret, a wrong one, or the original signature
//! kept: a forgery on purpose), and where to send it. The result is captured as a
//! new event linked to the original.

use eframe::egui::{self, RichText};

use super::palette;
use super::state::{AppState, Command, Signing, Target, WorkbenchCommand};
use super::widgets::labelled_choice;

/// Draws the editor while one is open.
pub fn show(ctx: &egui::Context, state: &AppState) -> Vec<Command> {
    let mut commands = Vec::new();
    let Some(editor) = &state.workbench.editor else {
        return commands;
    };
    let mut form = editor.form.clone();
    let mut open = true;
    egui::Window::new(format!("Edit and send event #{}", editor.original.id))
        .collapsible(false)
        .open(&mut open)
        .default_width(560.0)
        .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
        .show(ctx, |ui| {
            let label = ui.label("Claims (JSON)");
            ui.add(
                egui::TextEdit::multiline(&mut form.claims)
                    .code_editor()
                    .desired_rows(12)
                    .desired_width(540.0),
            )
            .labelled_by(label.id);
            match &editor.claims_error {
                Some(error) => {
                    ui.label(RichText::new(format!("✖ not JSON: {error}")).color(palette::ERROR));
                }
                None => {
                    ui.label(
                        RichText::new("✔ JSON").color(palette::signature(
                            ui.visuals(),
                            crate::record::Signature::Valid,
                        )),
                    );
                }
            }
            ui.horizontal_wrapped(|ui| {
                let algs: Vec<(String, String)> = ["HS256", "HS384", "HS512", "none"]
                    .iter()
                    .map(|a| ((*a).to_owned(), (*a).to_owned()))
                    .collect();
                labelled_choice(ui, "alg", 90.0, &mut form.alg, &algs);
                let mut signings: Vec<(Signing, String)> = state
                    .secrets
                    .entries
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| !e.value.is_empty())
                    .map(|(i, e)| (Signing::Secret(i), format!("secret #{} ({})", i + 1, e.label)))
                    .collect();
                signings.push((Signing::WrongSecret, "a wrong secret (forgery)".to_owned()));
                signings.push((
                    Signing::KeepOriginal,
                    "the original signature (forgery)".to_owned(),
                ));
                if form.alg == "none" {
                    // An unsigned token has nothing to sign with.
                    ui.weak("unsigned: an empty signature (a forgery)");
                } else {
                    labelled_choice(ui, "Sign with", 230.0, &mut form.signing, &signings);
                }
            });
            ui.horizontal_wrapped(|ui| {
                let targets = [
                    (Target::Listener, "this listener".to_owned()),
                    (Target::App, "my app (Reply & forward)".to_owned()),
                    (Target::Url(custom_url(&form.target)), "another URL".to_owned()),
                ];
                labelled_choice(ui, "Send to", 190.0, &mut form.target, &targets);
                if let Target::Url(url) = &mut form.target {
                    let label = ui.label("URL");
                    ui.add(egui::TextEdit::singleline(url).desired_width(240.0))
                        .labelled_by(label.id);
                }
            });
            ui.horizontal(|ui| {
                let send = ui.add_enabled(editor.claims_error.is_none(), egui::Button::new("Send"));
                if send
                    .on_hover_text("Sign as chosen, send, and capture the result as a new event linked to this one")
                    .clicked()
                {
                    commands.push(Command::Workbench(WorkbenchCommand::Send));
                }
                if ui.button("Cancel").clicked() {
                    commands.push(Command::Workbench(WorkbenchCommand::CloseEditor));
                }
            });
        });
    if form != editor.form {
        commands.insert(0, Command::Workbench(WorkbenchCommand::EditForm(form)));
    }
    if !open {
        commands.push(Command::Workbench(WorkbenchCommand::CloseEditor));
    }
    commands
}

/// The URL typed for "another URL", or a start for one.
fn custom_url(target: &Target) -> String {
    match target {
        Target::Url(url) => url.clone(),
        _ => "http://127.0.0.1:3000/".to_owned(),
    }
}
