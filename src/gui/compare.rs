//! Two events side by side (Ctrl+click a second one): the verdict first (what
//! verified, with which `alg` and secret, and when), then the claims and headers,
//! path by path, with the differences marked.

use std::collections::BTreeMap;

use eframe::egui::{self, RichText};
use serde_json::Value;

use super::palette;
use super::state::{AppState, Command, ViewCommand};
use crate::record::Record;

/// Draws the comparison while one is asked for.
pub fn show(ctx: &egui::Context, state: &AppState) -> Vec<Command> {
    let mut commands = Vec::new();
    let (Some(a), Some(b)) = (&state.view.selection.detail, &state.view.selection.compared) else {
        return commands;
    };
    let (a, b) = (&a.record, &b.record);
    let mut open = true;
    egui::Window::new(format!("Compare event #{} with #{}", a.id, b.id))
        .open(&mut open)
        .default_width(720.0)
        .default_height(520.0)
        .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
        .show(ctx, |ui| {
            // Long values wrap within the window: both columns stay in view.
            egui::ScrollArea::vertical().show(ui, |ui| {
                section(ui, "Verdict", a, b, &verdict(a), &verdict(b));
                section(ui, "Claims", a, b, &claims(a), &claims(b));
                section(ui, "Headers", a, b, &headers(a), &headers(b));
            });
        });
    if !open {
        commands.push(Command::View(ViewCommand::Compare(None)));
    }
    commands
}

/// What decides whether an event is genuine: the verdict, the algorithm, the
/// secret that verified it, its time state, where its token was, and what the
/// sender got.
fn verdict(record: &Record) -> BTreeMap<String, String> {
    let v = &record.verification;
    let mut out = BTreeMap::new();
    let mut put = |key: &str, value: String| {
        out.insert(key.to_owned(), value);
    };
    put("1 signature", v.signature.label().to_owned());
    put("2 alg", v.alg.clone().unwrap_or_else(|| "—".to_owned()));
    put(
        "3 secret",
        v.secret
            .map_or_else(|| "—".to_owned(), |i| format!("#{}", i + 1)),
    );
    put("4 time", format!("{:?}", v.time).to_lowercase());
    put(
        "5 token in",
        record
            .token
            .as_ref()
            .map_or_else(|| "—".to_owned(), |t| t.source.clone()),
    );
    put("6 sender got", record.response.status.to_string());
    put("7 detail", v.detail.clone());
    out
}

fn claims(record: &Record) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(claims) = record.token.as_ref().and_then(|t| t.claims.as_ref()) {
        flatten(claims, String::new(), &mut out);
        // Times as dates too, as the detail shows them.
        let now = crate::token::unix_now();
        for name in super::json_tree::TIME_CLAIMS {
            if let (Some(seconds), Some(shown)) =
                (claims.get(name).and_then(Value::as_i64), out.get_mut(name))
            {
                *shown = format!("{shown} ({})", super::json_tree::human_time(seconds, now));
            }
        }
    }
    out
}

fn flatten(value: &Value, path: String, out: &mut BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let child_path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                flatten(child, child_path, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                flatten(child, format!("{path}[{i}]"), out);
            }
        }
        leaf => {
            out.insert(path, leaf.to_string());
        }
    }
}

fn headers(record: &Record) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in &record.headers {
        let entry = out.entry(name.to_ascii_lowercase()).or_default();
        if !entry.is_empty() {
            entry.push_str(", ");
        }
        entry.push_str(value);
    }
    out
}

/// One table: every path of either side, the two values, differences marked.
fn section(
    ui: &mut egui::Ui,
    title: &str,
    a: &Record,
    b: &Record,
    left: &BTreeMap<String, String>,
    right: &BTreeMap<String, String>,
) {
    let differing = left
        .keys()
        .chain(right.keys())
        .filter(|k| left.get(*k) != right.get(*k))
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    ui.strong(format!("{title}: {differing} differ"));
    let width = ui.available_width();
    egui::Grid::new(("compare", title))
        .striped(true)
        .num_columns(3)
        .max_col_width((width - 24.0) * 0.4)
        .show(ui, |ui| {
            ui.strong("path");
            ui.strong(format!("#{}", a.id));
            ui.strong(format!("#{}", b.id));
            ui.end_row();
            let paths: std::collections::BTreeSet<&String> =
                left.keys().chain(right.keys()).collect();
            for path in paths {
                let (x, y) = (left.get(path), right.get(path));
                let same = x == y;
                let text = |v: Option<&String>| {
                    let t = RichText::new(v.map_or("—", String::as_str)).monospace();
                    let t = if same { t } else { t.color(palette::WARNING) };
                    egui::Label::new(t).wrap()
                };
                // The verdict's rows are numbered for their order; the number is not shown.
                let shown = match title {
                    "Verdict" => path.split_once(' ').map_or(path.as_str(), |(_, p)| p),
                    _ => path.as_str(),
                };
                ui.label(RichText::new(shown).monospace());
                ui.add(text(x));
                ui.add(text(y));
                ui.end_row();
            }
        });
    ui.add_space(8.0);
}
