//! *Attach to a relay…* in the top bar: the relay's URL, its token (kept in the
//! credential store) and an optional CA file; once attached, the title says
//! connected, behind by N, or reconnecting and why.

use eframe::egui::{self, RichText};

use super::palette;
use super::state::{AppState, Command};
use crate::relay::attach::State;

/// The menu, titled with where the relay stands.
pub fn show(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let title = match state.relay.state() {
        None => RichText::new("Attach to a relay…"),
        Some(State::Connecting) => RichText::new("relay: connecting…"),
        Some(State::Connected { behind: 0, .. }) => RichText::new("relay: connected"),
        Some(State::Connected { behind, .. }) => {
            RichText::new(format!("relay: connected, behind by {behind}"))
        }
        Some(State::Reconnecting { in_secs, .. }) => {
            RichText::new(format!("⚠ relay: reconnecting in {in_secs} s"))
                .color(palette::WARNING)
                .strong()
        }
    };
    ui.menu_button(title, |ui| {
        ui.label(
            "Follow a relay (hookscope listen --api on a server): its hooks join this list, \
             verified with these secrets, and go to the app URL while forwarding is on.",
        );
        if let (Some(saved), Some(now)) = (&state.relay.saved, state.relay.state()) {
            ui.label(format!("following {}", saved.url));
            match now {
                State::Connecting => {
                    ui.label("connecting…");
                }
                State::Connected { last, behind } => {
                    ui.label(format!(
                        "connected: relay id {last} taken in, {behind} behind"
                    ));
                }
                State::Reconnecting { why, in_secs } => {
                    ui.label(
                        RichText::new(format!("{why}; trying again in {in_secs} s"))
                            .color(palette::WARNING),
                    );
                }
            }
            if ui.button("Detach").clicked() {
                commands.push(Command::Relay(None));
                ui.close();
            }
            return;
        }
        let words = super::widgets::AccountForm {
            id: "relay-form",
            url: ("Relay URL", "https://relay.example.com:8788"),
            secret: ("Token", "empty: the one kept in the keyring"),
            ca: ("Relay CA file", "only for a private certificate"),
            button: "Attach",
        };
        if let Some(ask) = super::widgets::account_form(ui, &words, state.relay.saved.as_ref()) {
            commands.push(Command::Relay(Some(ask)));
            ui.close();
        }
    });
}
