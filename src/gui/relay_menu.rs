//! *Attach to a relay…* in the top bar: the relay's URL, its token (kept in the
//! credential store) and an optional CA file; once attached, the title says
//! connected, behind by N, or reconnecting and why.

use eframe::egui::{self, RichText};
use zeroize::Zeroizing;

use super::palette;
use super::state::{AppState, Command, RelayAsk};
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
        let id = ui.scope_id().with("relay-form");
        let mut form: (String, String, String) = ui.data(|d| d.get_temp(id)).unwrap_or_else(|| {
            let saved = state.relay.saved.clone().unwrap_or_default();
            (saved.url, String::new(), saved.ca)
        });
        egui::Grid::new("relay-form").num_columns(2).show(ui, |ui| {
            let label = ui.label("Relay URL");
            ui.add(
                egui::TextEdit::singleline(&mut form.0)
                    .hint_text("https://relay.example.com:8788")
                    .desired_width(280.0),
            )
            .labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Token");
            ui.add(
                egui::TextEdit::singleline(&mut form.1)
                    .password(true)
                    .hint_text("empty: the one kept in the keyring")
                    .desired_width(280.0),
            )
            .labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Relay CA file");
            ui.add(
                egui::TextEdit::singleline(&mut form.2)
                    .hint_text("only for a private certificate")
                    .desired_width(280.0),
            )
            .labelled_by(label.id);
            ui.end_row();
        });
        if ui.button("Attach").clicked() {
            commands.push(Command::Relay(Some(RelayAsk {
                url: form.0.clone(),
                token: Zeroizing::new(std::mem::take(&mut form.1)),
                ca: form.2.clone(),
            })));
            ui.close();
        }
        ui.data_mut(|d| d.insert_temp(id, form));
    });
}
