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
