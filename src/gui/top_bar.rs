//! The top bar: listener state and address, the secrets, and the reply and forward
//! form. Fields are edited as copies; each change goes back as a command.

use eframe::egui::{self, RichText};

use super::palette;
use super::state::{
    AppState, Command, KeyringStatus, ListenerCommand, ListenerStatus, SecretEntry, SecretsCommand,
    WorkbenchCommand,
};
use super::widgets::{copy_button, labelled_field};
use crate::token::SecretEncoding;

/// Draws the listener row and the secrets rows.
pub fn show(ui: &mut egui::Ui, state: &AppState) -> Vec<Command> {
    let mut commands = Vec::new();
    ui.horizontal_wrapped(|ui| {
        ui.heading("hookscope");
        // Light, dark or as the system says; remembered with the zoom (Ctrl +/-/0).
        egui::widgets::global_theme_preference_buttons(ui);
        if ui
            .small_button("Verify a token…")
            .on_hover_text("Paste any token: decoded and verified with these secrets, sent nowhere")
            .clicked()
        {
            commands.push(Command::Workbench(WorkbenchCommand::Paste(Some(
                String::new(),
            ))));
        }
        ui.separator();
        listener_row(ui, state, &mut commands);
        ui.separator();
        super::relay_menu::show(ui, state, &mut commands);
    });
    ui.add_space(2.0);
    secrets(ui, state, &mut commands);
    reply_and_forward(ui, state, &mut commands);
    commands
}

fn listener(command: ListenerCommand) -> Command {
    Command::Listener(command)
}

fn listener_row(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    match &state.listener.status {
        ListenerStatus::Running { url, exposed } => {
            ui.label(
                RichText::new("⏺ Listening")
                    .color(palette::LISTENING)
                    .strong(),
            );
            ui.label(RichText::new(url).monospace());
            if copy_button(ui, "URL") {
                commands.push(Command::Copy(url.clone()));
            }
            if *exposed {
                ui.label(
                    RichText::new("⚠ EXPOSED: not loopback, reachable from the network")
                        .color(palette::WARNING)
                        .strong(),
                );
            }
            if ui.button("Stop").clicked() {
                commands.push(listener(ListenerCommand::Stop));
            }
        }
        ListenerStatus::Starting { addr } => {
            ui.spinner();
            ui.label(format!("starting on {addr}…"));
        }
        ListenerStatus::ConfirmExposed { addr } => {
            ui.label(
                RichText::new(format!(
                    "⚠ The saved address {addr} is reachable from the network: listen there?"
                ))
                .color(palette::WARNING)
                .strong(),
            );
            if ui.button(format!("Listen on {addr}")).clicked() {
                commands.push(listener(ListenerCommand::Start));
            }
            let port = addr.rsplit(':').next().unwrap_or("8787");
            let loopback = format!("127.0.0.1:{port}");
            if ui.button(format!("Listen on {loopback} only")).clicked() {
                commands.push(listener(ListenerCommand::EditAddress(loopback)));
                commands.push(listener(ListenerCommand::Start));
            }
        }
        ListenerStatus::Stopped => {
            ui.label(RichText::new("○ Stopped").strong());
            address_editor(ui, state, commands, "Start");
        }
        ListenerStatus::Failed(message) => {
            ui.label(
                RichText::new("✖ Not listening")
                    .color(palette::ERROR)
                    .strong(),
            );
            address_editor(ui, state, commands, "Retry");
            if ui
                .button("Use a free port")
                .on_hover_text("Listen on 127.0.0.1 with a port the system picks")
                .clicked()
            {
                commands.push(listener(ListenerCommand::EditAddress(
                    "127.0.0.1:0".to_owned(),
                )));
                commands.push(listener(ListenerCommand::Start));
            }
            ui.end_row();
            ui.label(RichText::new(message).color(palette::ERROR));
        }
    }
}

/// What senders get back: a chosen reply, or the reply of the user's own app.
/// Every change applies at once.
fn reply_and_forward(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let mut form = state.listener.form.clone();
    let mut replay_url = state.listener.replay_url.clone();
    egui::CollapsingHeader::new("Reply & forward")
        .default_open(false)
        .show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                let label = ui.label("Status");
                ui.add(egui::DragValue::new(&mut form.status).range(200..=599))
                    .labelled_by(label.id);
                let label = ui.label("Delay (ms)");
                ui.add(egui::DragValue::new(&mut form.delay_ms).range(0..=120_000))
                    .labelled_by(label.id);
                labelled_field(ui, "Content type", &mut form.content_type, 140.0, false);
                labelled_field(ui, "Body", &mut form.body, 220.0, false)
                    .on_hover_text("Empty: a small JSON acknowledgement with the record id");
            });
            ui.horizontal_wrapped(|ui| {
                ui.checkbox(&mut form.forward_on, "Forward to my app")
                    .on_hover_text("Deliver each request unchanged to your app; senders get its reply (502/504 when it fails)");
                labelled_field(ui, "App URL", &mut form.forward_url, 260.0, false);
                if let Some(error) = &state.listener.form_error {
                    ui.label(
                        RichText::new(format!("⚠ not forwarding yet: {error}"))
                            .color(palette::ERROR),
                    );
                }
            });
            ui.horizontal_wrapped(|ui| {
                labelled_field(ui, "Replay to", &mut replay_url, 260.0, false)
                    .on_hover_text("Empty: the app when forwarding, else this listener");
            });
            probe(ui, state, commands);
        });
    if form != state.listener.form {
        commands.push(listener(ListenerCommand::EditReply(form)));
    }
    if replay_url != state.listener.replay_url {
        commands.push(listener(ListenerCommand::EditReplayUrl(replay_url)));
    }
}

/// *Probe my app*: genuine and forged hooks against the app URL, and the last report.
fn probe(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let workbench = &state.workbench;
    ui.horizontal_wrapped(|ui| {
        let button = ui.add_enabled(!workbench.probing, egui::Button::new("Probe my app"));
        if button
            .on_hover_text("Send the app URL genuine hooks (it must answer 2xx) and the forgeries a forger tries (it must refuse them), signed with the first secret")
            .clicked()
        {
            commands.push(Command::Workbench(WorkbenchCommand::Probe));
        }
        // Which receiver the app is: Truora's JWT hooks, or another provider's scheme.
        let mut scheme = workbench.probe_scheme;
        let choices: Vec<(Option<crate::schemes::Name>, String)> = std::iter::once((None, "Truora (JWT)".to_owned()))
            .chain(
                crate::schemes::Name::ALL
                    .into_iter()
                    .map(|n| (Some(n), n.scheme().title().to_owned())),
            )
            .collect();
        if super::widgets::labelled_choice(ui, "as a receiver of", 150.0, &mut scheme, &choices) {
            commands.push(Command::Workbench(WorkbenchCommand::ProbeScheme(scheme)));
        }
        if workbench.probing {
            ui.spinner();
            ui.label("probing…");
        }
    });
    let Some(report) = &workbench.probe else {
        return;
    };
    let failed = report.failed().len();
    let verdict = if failed == 0 {
        RichText::new(format!("PASS: {} refused every forgery", report.target)).color(
            palette::signature(ui.visuals(), crate::record::Signature::Valid),
        )
    } else {
        RichText::new(format!(
            "FAIL: {} failed {failed} required case(s)",
            report.target
        ))
        .color(palette::ERROR)
    };
    ui.label(verdict.strong());
    // Within a third of the window, scrolled: the list keeps its rows, and the
    // advice wraps instead of running past the window's edge.
    let most = (ui.ctx().content_rect().height() / 3.0).max(140.0);
    let advice_width = (ui.available_width() - 380.0).max(220.0);
    egui::ScrollArea::vertical()
        .id_salt("probe report")
        .max_height(most)
        .auto_shrink([false, true])
        .show(ui, |ui| {
            egui::Grid::new("probe report")
                .striped(true)
                .num_columns(5)
                .max_col_width(advice_width)
                .show(ui, |ui| {
                    for title in ["case", "expect", "got", "result", "what to check"] {
                        ui.strong(title);
                    }
                    ui.end_row();
                    for case in &report.cases {
                        probe_case(ui, case);
                    }
                });
        });
}

/// One row of the probe's scorecard; an advisory case reads as one, not as required.
fn probe_case(ui: &mut egui::Ui, case: &crate::probe::CaseReport) {
    if case.required {
        ui.monospace(&case.name);
    } else {
        ui.label(
            RichText::new(format!("{} (advisory)", case.name))
                .monospace()
                .weak(),
        )
        .on_hover_text("Not required: a good practice the report suggests, never a failure");
    }
    ui.label(match case.expect {
        crate::probe::Expect::Accept => "accept",
        crate::probe::Expect::Refuse => "refuse",
    });
    ui.label(case.status.map_or_else(
        || case.error.clone().unwrap_or_else(|| "—".to_owned()),
        |s| s.to_string(),
    ));
    let (word, color) = match (case.passed, case.required) {
        (true, _) => (
            "pass",
            palette::signature(ui.visuals(), crate::record::Signature::Valid),
        ),
        (false, true) => ("FAIL", palette::ERROR),
        (false, false) => ("advice", palette::CAUTION),
    };
    ui.label(RichText::new(word).color(color).strong());
    let advice = RichText::new(case.advice.as_deref().unwrap_or(""));
    ui.add(egui::Label::new(if case.required { advice } else { advice.weak() }).wrap());
    ui.end_row();
}

fn address_editor(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>, action: &str) {
    let mut address = state.listener.address.clone();
    let field = labelled_field(ui, "Address", &mut address, 160.0, false);
    let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    if address != state.listener.address {
        commands.push(listener(ListenerCommand::EditAddress(address.clone())));
    }
    if ui.button(action).clicked() || entered {
        commands.push(listener(ListenerCommand::Start));
    }
    let loopback = address
        .trim()
        .parse::<std::net::SocketAddr>()
        .is_ok_and(|a| a.ip().is_loopback());
    if !loopback && !address.trim().is_empty() {
        ui.label(
            RichText::new("⚠ not loopback: others on the network could reach it")
                .color(palette::WARNING),
        );
    }
}

/// One secret's row: label, masked value, show/hide, encoding, remove, its problem.
fn secret_row(
    ui: &mut egui::Ui,
    index: usize,
    shown: &SecretEntry,
    count: usize,
    error: Option<&str>,
    commands: &mut Vec<Command>,
) {
    let mut entry = shown.clone();
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
        ui.add(
            egui::TextEdit::singleline(&mut entry.value)
                .desired_width(300.0)
                .password(!entry.shown)
                .hint_text("paste the hook's secret"),
        )
        .labelled_by(label.id);
        let toggle = if entry.shown { "Hide" } else { "Show" };
        if ui
            .button(toggle)
            .on_hover_text("Show or hide the secret")
            .clicked()
        {
            commands.push(Command::Secrets(SecretsCommand::Reveal(
                index,
                !entry.shown,
            )));
        }
        egui::ComboBox::from_id_salt(("encoding", index))
            .selected_text(entry.encoding.as_str())
            .show_ui(ui, |ui| {
                for encoding in SecretEncoding::ALL {
                    ui.selectable_value(&mut entry.encoding, encoding, encoding.as_str());
                }
            })
            .response
            .on_hover_text("How the secret's text becomes key bytes");
        if count > 1
            && ui
                .button("Remove")
                .on_hover_text("Remove this secret")
                .clicked()
        {
            commands.push(Command::Secrets(SecretsCommand::Remove(index)));
        }
        if let Some(error) = error {
            ui.label(RichText::new(error).color(palette::ERROR));
        } else if entry.value.trim().len() != entry.value.len() {
            ui.label(RichText::new("⚠ has spaces or a newline around it").color(palette::WARNING));
        }
    });
    if entry.label != shown.label || entry.value != shown.value || entry.encoding != shown.encoding
    {
        commands.push(Command::Secrets(SecretsCommand::Edit {
            index,
            label: entry.label,
            value: entry.value,
            encoding: entry.encoding,
        }));
    }
}

fn secrets(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let secrets = &state.secrets;
    let count = secrets.entries.len();
    for (index, shown) in secrets.entries.iter().enumerate() {
        let error = secrets.errors.get(index).cloned().flatten();
        secret_row(ui, index, shown, count, error.as_deref(), commands);
    }
    ui.horizontal(|ui| {
        if ui.button("+ Add secret").clicked() {
            commands.push(Command::Secrets(SecretsCommand::Add));
        }
        let mut remember = secrets.remember;
        if ui
            .checkbox(&mut remember, "Remember secret values")
            .on_hover_text(
                "On: the values go to the system's credential store (Secret Service, Keychain, Credential Manager), never to a file. Off: only labels and encodings are saved",
            )
            .changed()
        {
            commands.push(Command::Secrets(SecretsCommand::Remember(remember)));
        }
        match &secrets.keyring {
            // Said whether or not the box is ticked: asking unticked it.
            KeyringStatus::Unavailable(why) => {
                ui.label(
                    RichText::new(format!(
                        "⚠ Cannot remember: {why}. The values are kept for this session only."
                    ))
                    .color(palette::ERROR),
                );
            }
            KeyringStatus::Kept if secrets.remember => {
                ui.label(RichText::new("kept in the system keyring").weak());
            }
            _ => {}
        }
        if let Some((done, total)) = state.store.reverifying() {
            ui.spinner();
            ui.label(format!("re-verifying {done}/{total}"));
        }
    });
}
