//! A mail in the detail: its envelope, header fields, text (HTML shown as its
//! source, never loaded) and attachments listed. Its verdict, DKIM, is drawn above
//! it as any event's.

use eframe::egui::{self, RichText};

use super::state::Command;
use crate::record::{Record, Signature};

/// A mail: its envelope, its header fields, its text (HTML shown as text, never
/// loaded), its attachments listed.
/// A mail whose DKIM key could not be read gets a button to read it again.
pub fn show(
    ui: &mut egui::Ui,
    record: &Record,
    email: &crate::record::Email,
    commands: &mut Vec<Command>,
) {
    if record.verification.signature == Signature::NoSecret
        && ui
            .button("Read the DKIM key again")
            .on_hover_text("Ask DNS for the signer's key again and verify every such mail")
            .clicked()
    {
        commands.push(Command::VerifyAgain);
    }
    egui::CollapsingHeader::new("Mail")
        .default_open(true)
        .show(ui, |ui| {
            egui::Grid::new("mail fields")
                .num_columns(2)
                .show(ui, |ui| {
                    let rows = [
                        ("From", email.from.clone()),
                        ("To", Some(email.to.join(", ")).filter(|t| !t.is_empty())),
                        ("Subject", email.subject.clone()),
                        ("Date", email.date.clone()),
                        ("Message-ID", email.message_id.clone()),
                        ("MAIL FROM", email.mail_from.clone()),
                        (
                            "RCPT TO",
                            Some(email.rcpt_to.join(", ")).filter(|t| !t.is_empty()),
                        ),
                        ("HELO", email.helo.clone()),
                        ("Mailbox", email.mailbox.clone()),
                        ("UID", email.uid.map(|uid| uid.to_string())),
                    ];
                    for (name, value) in rows {
                        if let Some(value) = value {
                            ui.label(RichText::new(name).strong());
                            ui.label(RichText::new(value).monospace());
                            ui.end_row();
                        }
                    }
                });
            if record.body_truncated {
                ui.colored_label(
                    super::palette::WARNING,
                    "Larger than --max-mail: kept cut, and refused (552)",
                );
            }
            for attachment in &email.attachments {
                ui.label(format!(
                    "📎 {} ({}, {})",
                    attachment.filename.as_deref().unwrap_or("(no name)"),
                    attachment.content_type,
                    super::widgets::human_size(attachment.size)
                ));
            }
            if let Some(text) = &email.text {
                ui.separator();
                ui.add(
                    egui::Label::new(RichText::new(super::detail::start_of(text)).monospace())
                        .wrap(),
                );
            } else if email.html.is_some() {
                ui.weak("HTML only: shown as its source below, never loaded.");
            }
        });
    egui::CollapsingHeader::new("Header fields")
        .default_open(false)
        .show(ui, |ui| {
            egui::Grid::new("mail headers")
                .striped(true)
                .show(ui, |ui| {
                    for (name, value) in &record.headers {
                        ui.label(RichText::new(name).monospace().strong());
                        ui.add(
                            egui::Label::new(
                                RichText::new(super::detail::start_of(value)).monospace(),
                            )
                            .wrap(),
                        );
                        ui.end_row();
                    }
                });
        });
    if let Some(html) = &email.html {
        egui::CollapsingHeader::new("HTML (as text)")
            .default_open(false)
            .show(ui, |ui| {
                ui.add(
                    egui::Label::new(RichText::new(super::detail::start_of(html)).monospace())
                        .wrap(),
                );
            });
    }
}
