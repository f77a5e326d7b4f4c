//! The empty state: what to do before the first hook arrives.

use eframe::egui::{self, RichText};

use super::state::{AppState, Command};
use super::widgets::copy_button;

/// Draws the next steps: the URL for Truora, a curl example, a test hook.
pub fn show(ui: &mut egui::Ui, state: &mut AppState) -> Vec<Command> {
    let mut commands = Vec::new();
    ui.vertical_centered(|ui| {
        ui.add_space(40.0);
        ui.heading("Waiting for the first hook");
        ui.add_space(10.0);
    });
    let Some(url) = state.url().map(str::to_owned) else {
        ui.vertical_centered(|ui| {
            ui.label("The listener is not running: start it in the top bar.");
        });
        return commands;
    };
    let hook_url = format!("{url}hooks/truora");
    let curl =
        format!("curl -X POST -H 'Content-Type: application/jwt' --data \"$TOKEN\" {hook_url}");
    ui.vertical_centered(|ui| {
        ui.label("1. Paste the hook's secret above.");
        ui.label("2. Point the Truora hook at this URL (or at a tunnel to it, e.g. `ngrok http` / `cloudflared tunnel` to this port):");
        ui.horizontal(|ui| {
            ui.label(RichText::new(&hook_url).monospace().strong());
            if copy_button(ui, "hook URL") {
                commands.push(Command::Copy(hook_url.clone()));
            }
        });
        ui.label("Or send a token yourself:");
        ui.horizontal(|ui| {
            ui.label(RichText::new(&curl).monospace());
            if copy_button(ui, "curl command") {
                commands.push(Command::Copy(curl.clone()));
            }
        });
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            egui::ComboBox::from_label("Product")
                .selected_text(crate::truora::describe(&state.test_product, None))
                .show_ui(ui, |ui| {
                    for product in crate::samples::PRODUCTS {
                        ui.selectable_value(
                            &mut state.test_product,
                            product.to_owned(),
                            crate::truora::describe(product, None),
                        );
                    }
                });
            if ui
                .button("Send test hook")
                .on_hover_text("Signs a Truora-shaped event with the first secret and POSTs it here")
                .clicked()
            {
                commands.push(Command::SendTestHook);
            }
        });
    });
    commands
}
