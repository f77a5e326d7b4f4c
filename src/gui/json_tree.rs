//! A collapsible JSON tree (written here because egui_json_tree trails egui 0.37),
//! with `iat`/`exp`/`nbf` shown as dates and relative times.

use eframe::egui::{self, RichText};
use serde_json::Value;

/// Claims that are NumericDate timestamps (RFC 7519).
pub const TIME_CLAIMS: [&str; 4] = ["iat", "exp", "nbf", "auth_time"];

/// What a value's context menu asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Copy this text (a value, or its path such as `events[0].object.status`).
    Copy(String),
    /// Show only the events holding this value.
    Filter(String),
}

/// Shows `value` as a tree; `now` (unix seconds) anchors relative times. Each
/// value's context menu (right click) copies it or its path, or filters by it.
pub fn show(ui: &mut egui::Ui, id: &str, value: &Value, now: i64) -> Vec<Action> {
    let mut actions = Vec::new();
    match value {
        Value::Object(_) | Value::Array(_) => {
            children(ui, id, "", value, now, 0, &mut actions);
        }
        leaf => {
            ui.label(leaf_text(ui, leaf));
        }
    }
    actions
}

/// The menu of one value: copy it, copy its path, filter by it.
pub fn value_menu(
    response: &egui::Response,
    value: &str,
    path: Option<&str>,
    actions: &mut Vec<Action>,
) {
    response.context_menu(|ui| {
        if ui.button("Copy value").clicked() {
            actions.push(Action::Copy(value.to_owned()));
            ui.close();
        }
        if let Some(path) = path
            && ui.button("Copy path").clicked()
        {
            actions.push(Action::Copy(path.to_owned()));
            ui.close();
        }
        if ui.button("Filter by it").clicked() {
            actions.push(Action::Filter(value.to_owned()));
            ui.close();
        }
    });
}

fn children(
    ui: &mut egui::Ui,
    path: &str,
    dotted: &str,
    value: &Value,
    now: i64,
    depth: usize,
    actions: &mut Vec<Action>,
) {
    let items: Vec<(String, &Value)> = match value {
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v)).collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("[{i}]"), v))
            .collect(),
        _ => return,
    };
    for (key, child) in items {
        let child_path = format!("{path}/{key}");
        let child_dotted = match (dotted.is_empty(), key.starts_with('[')) {
            (true, _) | (false, true) => format!("{dotted}{key}"),
            (false, false) => format!("{dotted}.{key}"),
        };
        let title = match child {
            Value::Object(map) => Some(format!("{key}  {{{}}}", map.len())),
            Value::Array(items) => Some(format!("{key}  [{}]", items.len())),
            _ => None,
        };
        match title {
            Some(title) => {
                egui::CollapsingHeader::new(title)
                    .id_salt(&child_path)
                    .default_open(depth < 3)
                    .show(ui, |ui| {
                        children(
                            ui,
                            &child_path,
                            &child_dotted,
                            child,
                            now,
                            depth + 1,
                            actions,
                        );
                    });
            }
            None => {
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(format!("{key}:")).strong());
                    let date = TIME_CLAIMS
                        .contains(&key.as_str())
                        .then(|| child.as_i64())
                        .flatten()
                        .map(|seconds| format!("{}\n", human_time(seconds, now)))
                        .unwrap_or_default();
                    let shown = ui.label(leaf_text(ui, child)).on_hover_text(format!(
                        "{date}Right click: copy the value or its path, or filter by it"
                    ));
                    let text = match child {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    value_menu(&shown, &text, Some(&child_dotted), actions);
                    if TIME_CLAIMS.contains(&key.as_str())
                        && let Some(seconds) = child.as_i64()
                    {
                        ui.label(RichText::new(human_time(seconds, now)).weak());
                    }
                });
            }
        }
    }
}

/// How much of a long string the tree shows.
const LONG_VALUE: usize = 2048;

fn leaf_text(ui: &egui::Ui, value: &Value) -> RichText {
    let visuals = ui.visuals();
    let (text, color) = match value {
        // A long value shows its start; right click copies it whole.
        Value::String(s) if s.len() > LONG_VALUE => {
            let mut end = LONG_VALUE;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            (
                format!(
                    "\"{}…\" ({} more bytes: right click copies all)",
                    &s[..end],
                    s.len() - end
                ),
                super::palette::json_string(visuals),
            )
        }
        Value::String(s) => (format!("\"{s}\""), super::palette::json_string(visuals)),
        Value::Number(n) => (n.to_string(), super::palette::json_number(visuals)),
        Value::Bool(b) => (b.to_string(), super::palette::json_bool(visuals)),
        Value::Null => ("null".to_owned(), ui.visuals().weak_text_color()),
        other => (other.to_string(), ui.visuals().text_color()),
    };
    RichText::new(text).monospace().color(color)
}

/// A unix time as "2026-04-24 10:00:00 UTC (3 days ago)".
pub fn human_time(seconds: i64, now: i64) -> String {
    let date = jiff::Timestamp::from_second(seconds).map_or_else(
        |_| "not a date".to_owned(),
        |t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
    );
    format!("{date} ({})", relative(seconds - now))
}

/// "in 5 minutes", "3 days ago".
pub fn relative(delta: i64) -> String {
    let magnitude = delta.unsigned_abs();
    let (n, unit) = match magnitude {
        0..60 => (magnitude, "second"),
        60..3600 => (magnitude / 60, "minute"),
        3600..86_400 => (magnitude / 3600, "hour"),
        86_400..31_536_000 => (magnitude / 86_400, "day"),
        _ => (magnitude / 31_536_000, "year"),
    };
    let plural = if n == 1 { "" } else { "s" };
    if delta >= 0 {
        format!("in {n} {unit}{plural}")
    } else {
        format!("{n} {unit}{plural} ago")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_times() {
        assert_eq!(relative(-1), "1 second ago");
        assert_eq!(relative(7200), "in 2 hours");
        assert_eq!(
            human_time(1_714_000_000, 1_714_000_000 - 3 * 86_400),
            "2024-04-24 23:06:40 UTC (in 3 days)"
        );
    }
}
