//! Small shared pieces: verdict colours and badges, copy buttons, labelled fields.

use eframe::egui::{self, RichText};

use crate::record::Signature;

/// A verdict badge: a coloured mark and the verdict's word.
pub fn badge(ui: &mut egui::Ui, signature: Signature) -> egui::Response {
    let color = super::palette::signature(ui.visuals(), signature);
    let mark = match signature {
        Signature::Valid => "✔",
        Signature::Invalid => "✖",
        Signature::UnsupportedAlg | Signature::Malformed => "⚠",
        Signature::Unsigned | Signature::NoSecret => "○",
    };
    ui.label(
        RichText::new(format!("{mark} {}", signature.label()))
            .color(color)
            .strong(),
    )
}

/// A small button that copies `text`; returns true when clicked.
pub fn copy_button(ui: &mut egui::Ui, what: &str) -> bool {
    ui.small_button(format!("📋 Copy {what}"))
        .on_hover_text(format!("Copy the {what} to the clipboard"))
        .clicked()
}

/// A single-line text field tied to a visible label (needed for screen readers and tests).
pub fn labelled_field(
    ui: &mut egui::Ui,
    label: &str,
    value: &mut String,
    width: f32,
    password: bool,
) -> egui::Response {
    let label = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(value)
            .desired_width(width)
            .password(password),
    )
    .labelled_by(label.id)
}

/// A drop-down tied to a visible label: `choices` are (value, words shown). Returns
/// true when the user picked another value.
pub fn labelled_choice<T: PartialEq + Clone>(
    ui: &mut egui::Ui,
    label: &str,
    width: f32,
    current: &mut T,
    choices: &[(T, String)],
) -> bool {
    let before = current.clone();
    let label = ui.label(label);
    let shown = choices
        .iter()
        .find(|(value, _)| value == current)
        .map_or("", |(_, words)| words.as_str());
    egui::ComboBox::from_id_salt(label.id)
        .selected_text(shown)
        .width(width)
        .show_ui(ui, |ui| {
            for (value, words) in choices {
                ui.selectable_value(current, value.clone(), words);
            }
        })
        .response
        .labelled_by(label.id);
    *current != before
}

/// A byte count as people read it.
pub fn human_size(bytes: usize) -> String {
    match bytes {
        0..1024 => format!("{bytes} B"),
        1024..1_048_576 => format!("{:.1} KiB", bytes as f64 / 1024.0),
        _ => format!("{:.1} MiB", bytes as f64 / 1_048_576.0),
    }
}

/// Shortens `text` in the middle so long ids keep both ends.
pub fn middle_ellipsis(text: &str, max_chars: usize) -> String {
    let count = text.chars().count();
    if count <= max_chars || max_chars < 5 {
        return text.to_owned();
    }
    let keep = max_chars - 1;
    let head: String = text.chars().take(keep - keep / 2).collect();
    let tail: String = text.chars().skip(count - keep / 2).collect();
    format!("{head}…{tail}")
}

/// The words of an account form (a mailbox, a relay): each field's label and hint,
/// and the button's.
pub struct AccountForm<'a> {
    pub id: &'a str,
    pub url: (&'a str, &'a str),
    pub secret: (&'a str, &'a str),
    pub ca: (&'a str, &'a str),
    pub button: &'a str,
}

/// An account's URL, secret (hidden as typed, never saved) and CA file, filled
/// from `saved`; what to follow once the button is pressed.
pub fn account_form(
    ui: &mut egui::Ui,
    words: &AccountForm<'_>,
    saved: Option<&crate::gui::state::account::SavedAccount>,
) -> Option<crate::gui::state::account::AccountAsk> {
    let id = ui.scope_id().with(words.id);
    let mut form: (String, String, String) = ui.data(|d| d.get_temp(id)).unwrap_or_else(|| {
        let saved = saved.cloned().unwrap_or_default();
        (saved.url, String::new(), saved.ca)
    });
    egui::Grid::new(words.id).num_columns(2).show(ui, |ui| {
        for (field, (label, hint), hidden) in [
            (&mut form.0, words.url, false),
            (&mut form.1, words.secret, true),
            (&mut form.2, words.ca, false),
        ] {
            let label = ui.label(label);
            ui.add(
                egui::TextEdit::singleline(field)
                    .password(hidden)
                    .hint_text(hint)
                    .desired_width(280.0),
            )
            .labelled_by(label.id);
            ui.end_row();
        }
    });
    let asked = ui.button(words.button).clicked().then(|| {
        crate::gui::state::account::AccountAsk {
            url: form.0.clone(),
            // Not kept in the form once sent.
            secret: zeroize::Zeroizing::new(std::mem::take(&mut form.1)),
            ca: form.2.clone(),
        }
    });
    ui.data_mut(|d| d.insert_temp(id, form));
    asked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_ellipsis() {
        assert_eq!(human_size(10), "10 B");
        assert_eq!(human_size(2048), "2.0 KiB");
        assert_eq!(
            middle_ellipsis("IDP9f8e7d6c5b4a39281706f5e4d3c2b1a0", 12),
            "IDP9f8…2b1a0"
        );
        assert_eq!(middle_ellipsis("short", 12), "short");
    }
}
