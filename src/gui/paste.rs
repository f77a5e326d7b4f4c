//! *Verify a token*, as jwt.io does it but with the secrets of this window: paste
//! any token (or a whole body), see it decoded, verified and explained. Nothing is
//! sent anywhere.

use eframe::egui::{self, RichText};

use super::state::{AppState, Command, WorkbenchCommand};
use super::widgets::badge;

/// Draws the pane while it is open.
pub fn show(ctx: &egui::Context, state: &AppState) -> Vec<Command> {
    let mut commands = Vec::new();
    let Some(shown) = &state.workbench.paste else {
        return commands;
    };
    let mut text = shown.clone();
    let mut open = true;
    egui::Window::new("Verify a token")
        .open(&mut open)
        .default_width(560.0)
        .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
        .show(ctx, |ui| {
            ui.weak("Paste a token, or a whole request body. It is checked with the secrets above and never sent.");
            let label = ui.label("Token");
            ui.add(
                egui::TextEdit::multiline(&mut text)
                    .code_editor()
                    .desired_rows(4)
                    .desired_width(540.0),
            )
            .labelled_by(label.id);
            if text.trim().is_empty() {
                return;
            }
            let analysis = crate::token::analyze_text(
                text.as_bytes(),
                state.verifier(),
                crate::token::unix_now(),
            );
            let v = &analysis.verification;
            ui.horizontal_wrapped(|ui| {
                badge(ui, v.signature);
                if let Some(alg) = &v.alg {
                    ui.label(format!("alg {alg}"));
                }
                super::detail::time_label(ui, v, None);
            });
            // The dates the token's times stand for, as jwt.io shows them.
            let claims = analysis.token.as_ref().and_then(|t| t.claims.as_ref());
            let now = crate::token::unix_now();
            for name in ["iat", "nbf", "exp"] {
                if let Some(seconds) = claims.and_then(|c| c.get(name)).and_then(|v| v.as_i64()) {
                    ui.label(format!("{name}: {}", super::json_tree::human_time(seconds, now)));
                }
            }
            ui.label(&v.detail);
            for hint in &v.hints {
                ui.label(format!("💡 {hint}"));
            }
            if let Some(token) = &analysis.token {
                egui::ScrollArea::vertical()
                    .max_height(300.0)
                    .show(ui, |ui| {
                        ui.strong("Header");
                        ui.label(
                            RichText::new(
                                serde_json::to_string_pretty(&token.header).unwrap_or_default(),
                            )
                            .monospace(),
                        );
                        ui.strong("Claims");
                        ui.label(
                            RichText::new(
                                serde_json::to_string_pretty(&token.claims).unwrap_or_default(),
                            )
                            .monospace(),
                        );
                    });
            }
        });
    if &text != shown {
        commands.push(Command::Workbench(WorkbenchCommand::Paste(Some(text))));
    }
    if !open {
        commands.push(Command::Workbench(WorkbenchCommand::Paste(None)));
    }
    commands
}
