//! The empty state: what to do before the first hook arrives.

use eframe::egui::{self, RichText};

use super::state::{AppState, Command, ViewCommand};
use super::widgets::{copy_button, labelled_choice};

/// Draws the next steps: the URL for Truora, a curl example, a test hook.
pub fn show(ui: &mut egui::Ui, state: &AppState) -> Vec<Command> {
    let mut commands = Vec::new();
    ui.add_space(24.0);
    ui.heading("Waiting for the first hook");
    ui.add_space(8.0);
    let Some(url) = state.url().map(str::to_owned) else {
        ui.label("The listener is not running: start it in the top bar.");
        return commands;
    };
    // Bound to every interface (0.0.0.0, [::]): a sender on this machine uses loopback.
    let url = match state.listener.status {
        super::state::ListenerStatus::Running { .. } if url.contains("://0.0.0.0:") => {
            url.replace("://0.0.0.0:", "://127.0.0.1:")
        }
        super::state::ListenerStatus::Running { .. } if url.contains("://[::]:") => {
            url.replace("://[::]:", "://[::1]:")
        }
        _ => url,
    };
    let hook_url = format!("{url}hooks/truora");
    let curl =
        format!("curl -X POST -H 'Content-Type: application/jwt' --data \"$TOKEN\" {hook_url}");
    ui.label("1. Paste the hook's secret in the top bar.");
    ui.label("2. Point the Truora hook at this URL, or at a tunnel to this port (ngrok http, cloudflared tunnel):");
    ui.horizontal(|ui| {
        ui.add_space(16.0);
        ui.label(RichText::new(&hook_url).monospace().strong());
        if copy_button(ui, "hook URL") {
            commands.push(Command::Copy(hook_url.clone()));
        }
    });
    ui.label("3. Or send a token yourself:");
    ui.horizontal_wrapped(|ui| {
        ui.add_space(16.0);
        ui.label(RichText::new(&curl).monospace());
        if copy_button(ui, "curl command") {
            commands.push(Command::Copy(curl.clone()));
        }
    });
    ui.label("4. Or let hookscope sign a Truora-shaped hook with your secret and send it here:");
    ui.horizontal(|ui| {
        ui.add_space(16.0);
        let products: Vec<(String, String)> = crate::samples::PRODUCTS
            .iter()
            .map(|p| (p.to_string(), crate::truora::describe(p, None)))
            .chain(test_providers())
            .collect();
        let mut product = state.view.list.test_product.clone();
        if labelled_choice(ui, "Product", 150.0, &mut product, &products) {
            commands.push(Command::View(ViewCommand::SetTestProduct(product)));
        }
        if ui
            .button("Send test hook")
            .on_hover_text("Signs a Truora-shaped event with the first secret and POSTs it here")
            .clicked()
        {
            commands.push(Command::SendTestHook);
        }
    });
    // Truora's other delivery type.
    match &state.mail.sink {
        Some(smtp) => {
            ui.label(format!(
                "5. Mail hooks: send them to {} (any recipient; e.g. as the SMTP relay of a test sender).",
                smtp.url()
            ));
        }
        None => {
            ui.label("5. Mail hooks: take mail too in the status bar's mail menu, or start with --smtp 127.0.0.1:2525.");
        }
    }
    commands
}

/// The other providers *Send test hook* sends as (`scheme:NAME`), with their names.
pub fn test_providers() -> impl Iterator<Item = (String, String)> {
    crate::schemes::Name::ALL.into_iter().map(|name| {
        let scheme = name.scheme();
        (
            format!("scheme:{}", scheme.name()),
            format!("{} webhook", scheme.title()),
        )
    })
}
