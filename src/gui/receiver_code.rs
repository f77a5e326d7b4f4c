//! *Receiver code* in the detail: a receiver in the chosen language for the
//! selected event (its token's placement and alg, or its scheme), or for the
//! scheme chosen beside the language.

use eframe::egui;

use super::state::{AppState, Command, WorkbenchCommand};
use crate::receivers::Language;
use crate::record::Record;

/// Receiver code that verifies this event's tokens, per language.
pub fn show(ui: &mut egui::Ui, record: &Record, state: &AppState, commands: &mut Vec<Command>) {
    egui::CollapsingHeader::new("Receiver code")
        .default_open(false)
        .show(ui, |ui| {
            let mut language = state.workbench.code_language;
            let placement = record
                .token
                .as_ref()
                .map(|t| crate::receivers::Placement::from_source(&t.source))
                .unwrap_or_default();
            // Another provider's request gets a receiver of its scheme, unless
            // another is chosen.
            let own = record
                .verification
                .scheme
                .as_deref()
                .and_then(crate::schemes::Name::from_scheme);
            let scheme = state.workbench.code_scheme.unwrap_or(own);
            let mut chosen = state.workbench.code_scheme;
            let whose: Vec<(Option<Option<crate::schemes::Name>>, String)> = [(
                None,
                format!(
                    "this event's ({})",
                    own.map_or("Truora", |n| n.scheme().title())
                ),
            ), (Some(None), "Truora (JWT)".to_owned())]
            .into_iter()
            .chain(
                crate::schemes::Name::ALL
                    .into_iter()
                    .map(|n| (Some(Some(n)), n.scheme().title().to_owned())),
            )
            .collect();
            let choices: Vec<(Language, String)> = Language::ALL
                .iter()
                .map(|l| match scheme {
                    Some(_) => (*l, l.as_str().to_owned()),
                    None => (*l, format!("{} ({})", l.as_str(), l.library())),
                })
                .collect();
            let code = |language| match scheme {
                Some(name) => crate::receivers::scheme_code(language, name),
                None => crate::receivers::code(language, record.verification.alg.as_deref(), &placement),
            };
            ui.horizontal(|ui| {
                if super::widgets::labelled_choice(ui, "Language", 200.0, &mut language, &choices) {
                    commands.push(Command::Workbench(WorkbenchCommand::CodeLanguage(language)));
                }
                if super::widgets::copy_button(ui, "code") {
                    commands.push(Command::Copy(code(language)));
                }
            });
            // Whose receiver, on a line of its own: the copy button stays in reach.
            if super::widgets::labelled_choice(ui, "Receiver of", 180.0, &mut chosen, &whose) {
                commands.push(Command::Workbench(WorkbenchCommand::CodeScheme(chosen)));
            }
            match scheme {
                Some(name) => ui.weak(format!(
                    "Verifies {}'s signature over the raw body, with the provider's library where one exists; the secret from WEBHOOK_SECRET. `hookscope probe --scheme {}` checks it.",
                    name.scheme().title(),
                    name.scheme().name()
                )),
                None => ui.weak("Takes the token where this event carried it, the secret from TRUORA_HOOK_SECRET, and this event's alg only. `hookscope probe` checks it."),
            };
            let mut code = code(language);
            let label = ui.label("Code");
            ui.add(
                egui::TextEdit::multiline(&mut code)
                    .code_editor()
                    .interactive(false)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        });
}
