//! The top bar: listener state and address, and the secrets.

use eframe::egui::{self, Color32, RichText};

use super::state::{AppState, Command, KeyringStatus, ListenerStatus};
use super::widgets::{copy_button, labelled_field};
use crate::token::SecretEncoding;

/// Draws the listener row and the secrets rows.
pub fn show(ui: &mut egui::Ui, state: &mut AppState) -> Vec<Command> {
    let mut commands = Vec::new();
    ui.horizontal_wrapped(|ui| {
        ui.heading("hookscope");
        ui.separator();
        match state.listener.clone() {
            ListenerStatus::Running { url, exposed } => {
                ui.label(
                    RichText::new("⏺ Listening")
                        .color(Color32::from_rgb(60, 170, 90))
                        .strong(),
                );
                ui.label(RichText::new(&url).monospace());
                if copy_button(ui, "URL") {
                    commands.push(Command::Copy(url.clone()));
                }
                if exposed {
                    ui.label(
                        RichText::new("⚠ EXPOSED: not loopback, reachable from the network")
                            .color(Color32::from_rgb(230, 120, 20))
                            .strong(),
                    );
                }
                if ui.button("Stop").clicked() {
                    commands.push(Command::StopListener);
                }
            }
            ListenerStatus::ConfirmExposed { addr } => {
                ui.label(
                    RichText::new(format!(
                        "⚠ The saved address {addr} is reachable from the network: listen there?"
                    ))
                    .color(Color32::from_rgb(230, 120, 20))
                    .strong(),
                );
                if ui.button(format!("Listen on {addr}")).clicked() {
                    commands.push(Command::StartListener);
                }
                let port = addr.rsplit(':').next().unwrap_or("8787");
                let loopback = format!("127.0.0.1:{port}");
                if ui.button(format!("Listen on {loopback} only")).clicked() {
                    state.bind_input = loopback;
                    commands.push(Command::StartListener);
                }
            }
            ListenerStatus::Stopped => {
                ui.label(RichText::new("○ Stopped").strong());
                address_editor(ui, state, &mut commands, "Start");
            }
            ListenerStatus::Failed(message) => {
                ui.label(
                    RichText::new("✖ Not listening")
                        .color(Color32::from_rgb(210, 50, 50))
                        .strong(),
                );
                address_editor(ui, state, &mut commands, "Retry");
                if ui
                    .button("Use a free port")
                    .on_hover_text("Listen on 127.0.0.1 with a port the system picks")
                    .clicked()
                {
                    state.bind_input = "127.0.0.1:0".to_owned();
                    commands.push(Command::StartListener);
                }
                ui.end_row();
                ui.label(RichText::new(message).color(Color32::from_rgb(210, 50, 50)));
            }
        }
    });
    ui.add_space(2.0);
    secrets(ui, state, &mut commands);
    reply_and_forward(ui, state, &mut commands);
    commands
}

/// What senders get back: a chosen reply, or the reply of the user's own app.
fn reply_and_forward(ui: &mut egui::Ui, state: &mut AppState, commands: &mut Vec<Command>) {
    egui::CollapsingHeader::new("Reply & forward")
        .default_open(false)
        .show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                let label = ui.label("Status");
                ui.add(egui::DragValue::new(&mut state.reply_status).range(100..=599))
                    .labelled_by(label.id);
                let label = ui.label("Delay (ms)");
                ui.add(egui::DragValue::new(&mut state.reply_delay_ms).range(0..=120_000))
                    .labelled_by(label.id);
                labelled_field(ui, "Content type", &mut state.reply_content_type, 140.0, false);
                labelled_field(ui, "Body", &mut state.reply_body, 220.0, false)
                    .on_hover_text("Empty: a small JSON acknowledgement with the record id");
            });
            ui.horizontal_wrapped(|ui| {
                ui.checkbox(&mut state.forward_on, "Forward to my app")
                    .on_hover_text("Deliver each request unchanged to your app; senders get its reply (502/504 when it fails)");
                labelled_field(ui, "App URL", &mut state.forward_url, 260.0, false);
                if ui.button("Apply").clicked() {
                    commands.push(Command::ApplyReply);
                }
            });
            ui.horizontal_wrapped(|ui| {
                labelled_field(ui, "Replay to", &mut state.replay_url, 260.0, false)
                    .on_hover_text("Empty: the app when forwarding, else this listener");
            });
        });
}

fn address_editor(
    ui: &mut egui::Ui,
    state: &mut AppState,
    commands: &mut Vec<Command>,
    action: &str,
) {
    let field = labelled_field(ui, "Address", &mut state.bind_input, 160.0, false);
    let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    if ui.button(action).clicked() || entered {
        commands.push(Command::StartListener);
    }
    let loopback = state
        .bind_input
        .trim()
        .parse::<std::net::SocketAddr>()
        .is_ok_and(|a| a.ip().is_loopback());
    if !loopback && !state.bind_input.trim().is_empty() {
        ui.label(
            RichText::new("⚠ not loopback: others on the network could reach it")
                .color(Color32::from_rgb(230, 120, 20)),
        );
    }
}

fn secrets(ui: &mut egui::Ui, state: &mut AppState, commands: &mut Vec<Command>) {
    let mut changed = false;
    let mut remove = None;
    let count = state.secrets.len();
    for (index, entry) in state.secrets.iter_mut().enumerate() {
        ui.horizontal(|ui| {
            let label = ui.label(format!("Secret #{}", index + 1));
            let name_label = format!("Label of secret #{}", index + 1);
            let name = ui
                .add(
                    egui::TextEdit::singleline(&mut entry.label)
                        .desired_width(140.0)
                        .hint_text("label"),
                )
                .on_hover_text("A name for this secret (saved between runs)");
            name.widget_info(|| {
                egui::WidgetInfo::labeled(egui::Role::TextInput, true, name_label.as_str())
            });
            let value = ui
                .add(
                    egui::TextEdit::singleline(&mut entry.value)
                        .desired_width(300.0)
                        .password(!entry.shown)
                        .hint_text("paste the hook's secret"),
                )
                .labelled_by(label.id);
            changed |= value.changed();
            let toggle = if entry.shown { "Hide" } else { "Show" };
            if ui
                .button(toggle)
                .on_hover_text("Show or hide the secret")
                .clicked()
            {
                entry.shown = !entry.shown;
            }
            let before = entry.encoding;
            egui::ComboBox::from_id_salt(("encoding", index))
                .selected_text(entry.encoding.as_str())
                .show_ui(ui, |ui| {
                    for encoding in SecretEncoding::ALL {
                        ui.selectable_value(&mut entry.encoding, encoding, encoding.as_str());
                    }
                })
                .response
                .on_hover_text("How the secret's text becomes key bytes");
            changed |= before != entry.encoding;
            if count > 1
                && ui
                    .button("Remove")
                    .on_hover_text("Remove this secret")
                    .clicked()
            {
                remove = Some(index);
            }
            if let Some(Some(error)) = state.secret_errors.get(index) {
                ui.label(RichText::new(error).color(Color32::from_rgb(210, 50, 50)));
            } else if entry.value.trim().len() != entry.value.len() {
                ui.label(
                    RichText::new("⚠ has spaces or a newline around it")
                        .color(Color32::from_rgb(230, 120, 20)),
                );
            }
        });
    }
    ui.horizontal(|ui| {
        if ui.button("+ Add secret").clicked() {
            commands.push(Command::AddSecret);
        }
        let mut remember = state.remember_secret_values;
        if ui
            .checkbox(&mut remember, "Remember secret values")
            .on_hover_text(
                "On: the values go to the system's credential store (Secret Service, Keychain, Credential Manager), never to a file. Off: only labels and encodings are saved",
            )
            .changed()
        {
            commands.push(Command::SetRememberSecrets(remember));
        }
        if state.remember_secret_values {
            match &state.keyring {
                KeyringStatus::Unavailable(why) => {
                    ui.label(
                        RichText::new(format!(
                            "⚠ Cannot remember: {why}. The values are kept for this session only."
                        ))
                        .color(Color32::from_rgb(210, 50, 50)),
                    );
                }
                KeyringStatus::Kept => {
                    ui.label(RichText::new("kept in the system keyring").weak());
                }
                KeyringStatus::Working | KeyringStatus::Idle => {}
            }
        }
        if let Some((done, total)) = state.store.reverifying() {
            ui.spinner();
            ui.label(format!("re-verifying {done}/{total}"));
        }
    });
    if let Some(index) = remove {
        commands.push(Command::RemoveSecret(index));
    } else if changed {
        commands.push(Command::SecretsChanged);
    }
}
