//! The status bar's mail menu: where mail is taken (the SMTP sink) and which
//! mailbox is followed (IMAP), each started and stopped from it.

use eframe::egui::{self, RichText};

use super::palette;
use super::state::{AppState, Command};
use crate::email::imap::FollowState;

/// The menu, titled with where mail comes from.
pub fn show(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let title = title(state);
    ui.menu_button(title, |ui| {
        smtp_section(ui, state, commands);
        ui.separator();
        imap_section(ui, state, commands);
    });
}

/// "mail: smtp://ADDR · imap: following", loud where the sink is exposed or the
/// mailbox cannot be reached.
fn title(state: &AppState) -> RichText {
    let mut parts = Vec::new();
    let mut warn = false;
    if let Some(smtp) = &state.mail.sink {
        if smtp.local_addr().ip().is_loopback() {
            parts.push(smtp.url());
        } else {
            // Not loopback: said as loudly as the listener's address is.
            warn = true;
            parts.push(format!(
                "⚠ {} (EXPOSED: reachable from the network)",
                smtp.url()
            ));
        }
    }
    match state.mailbox.state() {
        Some(FollowState::Following { .. }) => parts.push("imap: following".to_owned()),
        Some(FollowState::Connecting) => parts.push("imap: connecting".to_owned()),
        Some(FollowState::Retrying { in_secs, .. }) => {
            warn = true;
            parts.push(format!("⚠ imap: failing, again in {in_secs} s"));
        }
        None => {}
    }
    let text = if parts.is_empty() {
        "mail: off".to_owned()
    } else {
        format!("mail: {}", parts.join(" · "))
    };
    let text = RichText::new(text);
    if warn {
        text.color(palette::WARNING).strong()
    } else {
        text
    }
}

/// The SMTP sink: its address, started or stopped.
fn smtp_section(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    ui.label(
        "An SMTP sink: mail sent here (any recipient) is kept in the journal before its \
         250, checked by its DKIM signature and shown with the hooks.",
    );
    if state.mail.sink.is_some() {
        if ui.button("Stop taking mail").clicked() {
            commands.push(Command::Smtp(None));
            ui.close();
        }
        return;
    }
    let id = ui.scope_id().with("smtp-address");
    let mut address: String = ui.data(|d| d.get_temp(id)).unwrap_or_else(|| {
        state
            .mail
            .saved
            .clone()
            .unwrap_or_else(|| "127.0.0.1:2525".to_owned())
    });
    ui.horizontal(|ui| {
        let label = ui.label("Address");
        ui.add(egui::TextEdit::singleline(&mut address).desired_width(160.0))
            .labelled_by(label.id);
        if ui.button("Take mail").clicked() {
            commands.push(Command::Smtp(Some(address.clone())));
            ui.close();
        }
    });
    ui.data_mut(|d| d.insert_temp(id, address));
}

/// The followed mailbox: its account, its state (and why it fails), started or stopped.
fn imap_section(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    ui.label(
        "A mailbox where Truora's mails land, followed over IMAP (TLS) read-only: \
         nothing is marked, moved or deleted; each new message is kept once.",
    );
    if let (Some(url), Some(now)) = (state.mailbox.url(), state.mailbox.state()) {
        ui.label(format!("following {url}"));
        match now {
            FollowState::Connecting => {
                ui.label("connecting…");
            }
            FollowState::Following { journaled } => {
                ui.label(format!(
                    "up to date: {journaled} messages kept since the start"
                ));
            }
            FollowState::Retrying { why, in_secs } => {
                ui.label(
                    RichText::new(format!("{why}; trying again in {in_secs} s"))
                        .color(palette::WARNING),
                );
            }
        }
        if ui.button("Stop following").clicked() {
            commands.push(Command::Imap(None));
            ui.close();
        }
        return;
    }
    let words = super::widgets::AccountForm {
        id: "imap-account",
        url: ("Mailbox", "imaps://user@imap.example.com/INBOX"),
        secret: ("Password", "empty: the one kept in the keyring"),
        ca: ("CA file", "only for a private server"),
        button: "Follow",
    };
    if let Some(ask) = super::widgets::account_form(ui, &words, state.mailbox.saved.as_ref()) {
        commands.push(Command::Imap(Some(ask)));
        ui.close();
    }
}
