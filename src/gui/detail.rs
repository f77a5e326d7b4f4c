//! The selected event: verdict and hints, Truora events, claims, header, the raw
//! token coloured by part, the request and the reply.

use eframe::egui::{self, Color32, RichText, text::LayoutJob};

use super::state::{
    AppState, BodyView, Command, Detail, FilesCommand, ViewCommand, WorkbenchCommand,
};
use super::widgets::{badge, copy_button, human_size};
use crate::record::{Record, TimeState};

/// Draws the detail of the selected event, or a hint to select one.
pub fn show(ui: &mut egui::Ui, state: &AppState) -> Vec<Command> {
    let mut commands = Vec::new();
    let Some(detail) = &state.view.selection.detail else {
        if let Some((_, error)) = &state.view.selection.detail_error {
            ui.colored_label(super::palette::ERROR, error);
            return commands;
        }
        ui.centered_and_justified(|ui| {
            ui.weak("Select an event to see its claims, verdict and request. The Up and Down keys move the selection.");
        });
        return commands;
    };
    let record = &detail.record;
    let now = crate::token::unix_now();
    // Both ways: a long token or header scrolls inside the panel instead of widening it.
    // A new selection starts at the top, where the verdict is. One scroll area
    // for every event: a new one per event would fade its bars in over frames
    // drawn for nothing but the fade.
    let shown = ui.scope_id().with("detail-shown");
    let mut area = egui::ScrollArea::both()
        .id_salt("detail")
        .auto_shrink([false, false])
        // A detail nearly always overflows both ways (the token alone does); bars
        // shown from the start do not fade in over frames as the first hook lands.
        .scroll_bar_visibility(egui::scroll_area::ScrollBarVisibility::AlwaysVisible);
    if ui.data(|d| d.get_temp::<u64>(shown)) != Some(detail.seq) {
        ui.data_mut(|d| d.insert_temp(shown, detail.seq));
        area = area.scroll_offset(egui::Vec2::ZERO);
    }
    area.show(ui, |ui| {
        verdict(ui, detail, state);
        if let Some(email) = &record.email {
            // A mail: its DKIM verdict above, then the mail itself; nothing to
            // replay over HTTP and no token.
            ui.horizontal_wrapped(|ui| {
                ui.label(format!(
                    "Event #{}, a mail ({})",
                    record.id, record.remote_addr
                ));
                if ui
                    .button("Save as .eml…")
                    .on_hover_text("The raw message, as received, for a mail program")
                    .clicked()
                {
                    commands.push(Command::Files(FilesCommand::ExportEvent {
                        seq: detail.seq,
                        id: record.id,
                        mail: true,
                    }));
                }
            });
            ui.separator();
            events(ui, record);
            super::mail::show(ui, record, email, &mut commands);
            return;
        }
        replay(ui, record, state, &mut commands);
        ui.separator();
        events(ui, record);
        if let Some(change) = state
            .store
            .get(detail.seq)
            .and_then(|e| e.summary.shape_change.as_deref())
        {
            shape_change(ui, change);
        }
        super::receiver_code::show(ui, record, state, &mut commands);
        if let Some(token) = &record.token {
            egui::CollapsingHeader::new("Claims")
                .default_open(true)
                .show(ui, |ui| {
                    if let Some(claims) = &token.claims {
                        if copy_button(ui, "claims") {
                            commands.push(Command::Copy(
                                serde_json::to_string_pretty(claims).unwrap_or_default(),
                            ));
                        }
                        let actions = super::json_tree::show(
                            ui,
                            &format!("claims{}", detail.seq),
                            claims,
                            now,
                        );
                        commands.extend(actions.into_iter().map(|a| tree_action(a, state)));
                    } else {
                        ui.weak("The payload is not JSON.");
                    }
                });
            egui::CollapsingHeader::new("JWT header")
                .default_open(true)
                .show(ui, |ui| {
                    let actions = super::json_tree::show(
                        ui,
                        &format!("header{}", detail.seq),
                        &token.header,
                        now,
                    );
                    commands.extend(actions.into_iter().map(|a| tree_action(a, state)));
                });
            egui::CollapsingHeader::new(format!("Token (from {})", token.source))
                .default_open(true)
                .show(ui, |ui| {
                    if copy_button(ui, "token") {
                        commands.push(Command::Copy(token.raw.clone()));
                    }
                    let whole = state.view.selection.show_all == Some(detail.seq);
                    let shown = if whole {
                        &token.raw[..]
                    } else {
                        start_of(&token.raw)
                    };
                    ui.label(coloured_token(shown, ui.visuals()));
                    if shown.len() < token.raw.len() {
                        show_all(ui, detail.seq, token.raw.len(), &mut commands);
                    }
                });
        }
        request(ui, (detail.seq, record), state, &mut commands);
        response(ui, record);
    });
    commands
}

fn verdict(ui: &mut egui::Ui, detail: &Detail, state: &AppState) {
    let record = &detail.record;
    let v = &record.verification;
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("Signature").strong());
        badge(ui, v.signature);
        if let Some(scheme) = v.scheme.as_deref().filter(|s| *s != "jwt") {
            ui.label(RichText::new(format!("scheme {scheme}")).strong());
        }
        if let Some(alg) = &v.alg {
            ui.label(format!("alg {alg}"));
        }
        if let Some(index) = v.secret {
            // A secret keeps the number of its row.
            let label = state
                .secrets
                .entries
                .get(index)
                .map_or(String::new(), |s| format!(" ({})", s.label));
            ui.label(format!("secret #{}{label}", index + 1));
        }
        time_label(
            ui,
            v,
            crate::record::millis(&record.received_at).map(|ms| ms / 1000),
        );
    });
    ui.label(&v.detail);
    // Worked out when the event was selected, not at every frame.
    if let Some(signed) = &detail.signed {
        ui.label(RichText::new(signed).monospace());
    }
    for hint in &v.hints {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("💡").color(super::palette::HINT));
            ui.label(hint);
        });
    }
}

fn replay(ui: &mut egui::Ui, record: &Record, state: &AppState, commands: &mut Vec<Command>) {
    match record.replay_of {
        Some(original) => ui.label(format!(
            "Event #{}, a replay of event #{original}.",
            record.id
        )),
        None => ui.label(format!("Event #{}", record.id)),
    };
    ui.horizontal_wrapped(|ui| {
        let to = state.listener.replay_target();
        if ui
            .button("Replay")
            .on_hover_text(format!(
                "Send this request again, unchanged, to {to}; the result is a new event"
            ))
            .clicked()
        {
            commands.push(Command::Replay { shown: false });
        }
        ui.weak(format!("to {to} (set in Reply & forward)"));
    });
    if ui
        .button("Edit and send…")
        .on_hover_text("Change the claims, the alg or the signature and send it again: the result is a new event linked to this one")
        .clicked()
    {
        commands.push(Command::Workbench(WorkbenchCommand::Edit));
    }
}

/// A value's menu choice as a command: copy, or filter the list by the value.
fn tree_action(action: super::json_tree::Action, state: &AppState) -> Command {
    match action {
        super::json_tree::Action::Copy(text) => Command::Copy(text),
        super::json_tree::Action::Filter(text) => Command::View(ViewCommand::SetFilter {
            text,
            signature: state.store.filter().signature,
            product: state.store.filter().product,
        }),
    }
}

fn events(ui: &mut egui::Ui, record: &Record) {
    if record.events.is_empty() {
        return;
    }
    egui::CollapsingHeader::new(format!("Truora events ({})", record.events.len()))
        .default_open(true)
        .show(ui, |ui| {
            for event in &record.events {
                ui.label(
                    RichText::new(crate::truora::describe(
                        &event.product,
                        event.action.as_deref(),
                    ))
                    .strong(),
                );
                egui::Grid::new(("event", event.id.as_deref().unwrap_or_default()))
                    .num_columns(2)
                    .show(ui, |ui| {
                        for (name, value) in [
                            ("type", &event.event_type),
                            ("subject", &event.subject),
                            ("event id", &event.id),
                        ] {
                            ui.weak(name);
                            ui.label(RichText::new(value.as_deref().unwrap_or("—")).monospace());
                            ui.end_row();
                        }
                    });
            }
        });
}

fn request(
    ui: &mut egui::Ui,
    (seq, record): (u64, &Record),
    state: &AppState,
    commands: &mut Vec<Command>,
) {
    egui::CollapsingHeader::new("Request")
        .default_open(true)
        .show(ui, |ui| {
            if ui
                .small_button("📋 Copy as curl")
                .on_hover_text(
                    "A curl command that sends this request again, byte for byte, to the listener",
                )
                .clicked()
            {
                // Built on click only: the command holds the whole body.
                commands.push(Command::Copy(crate::curl::command(
                    record,
                    &state.listener.curl_base(),
                )));
            }
            ui.label(
                RichText::new(format!("{} {}", record.method, record.path))
                    .monospace()
                    .strong(),
            );
            ui.label(format!(
                "from {} at {} · body {}{}",
                record.remote_addr,
                record.received_at,
                human_size(record.body_len()),
                if record.body_truncated {
                    " (cut at --max-body)"
                } else {
                    ""
                }
            ));
            for (name, value) in &record.headers {
                // One line a header: a long value wraps in the panel's width instead
                // of being cut; the whole value on hover too.
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(format!("{name}:")).monospace().strong());
                    let shown = ui
                        .add(egui::Label::new(RichText::new(value).monospace()).wrap())
                        .on_hover_text(value);
                    let mut actions = Vec::new();
                    super::json_tree::value_menu(&shown, value, None, &mut actions);
                    commands.extend(actions.into_iter().map(|a| tree_action(a, state)));
                });
            }
            ui.horizontal(|ui| {
                ui.strong("Body");
                let text = match (&record.body, &record.body_base64) {
                    (Some(text), _) => text.clone(),
                    (None, Some(b64)) => b64.clone(),
                    _ => String::new(),
                };
                if copy_button(ui, "body") {
                    commands.push(Command::Copy(text));
                }
                if record.body_base64.is_some() {
                    ui.weak("(binary, shown as base64)");
                }
            });
            let mut view = state.view.selection.body_view;
            ui.horizontal(|ui| {
                for (choice, name) in [
                    (BodyView::Pretty, "Pretty"),
                    (BodyView::Raw, "Raw"),
                    (BodyView::Hex, "Hex"),
                ] {
                    ui.selectable_value(&mut view, choice, name);
                }
            });
            if view != state.view.selection.body_view {
                commands.push(Command::View(ViewCommand::SetBodyView(view)));
            }
            // A body that is the token is shown once, above, coloured.
            if view != BodyView::Hex && record.token.as_ref().is_some_and(|t| t.source == "body") {
                ui.weak(format!(
                    "The body is the token shown above ({}).",
                    super::widgets::human_size(record.body_bytes().len())
                ));
                return;
            }
            let shown = body_text(record, view);
            let whole = state.view.selection.show_all == Some(seq);
            let preview = if whole { &shown[..] } else { start_of(&shown) };
            ui.add(egui::Label::new(RichText::new(preview).monospace()).wrap());
            if preview.len() < shown.len() {
                show_all(ui, seq, shown.len(), commands);
            }
        });
}

fn response(ui: &mut egui::Ui, record: &Record) {
    egui::CollapsingHeader::new("Reply")
        .default_open(true)
        .show(ui, |ui| {
            ui.label(format!("The sender got {}", record.response.status));
            if let Some(f) = &record.response.forwarded {
                ui.label(match f.status {
                    Some(_) => format!("Your app at {} answered in {} ms:", f.url, f.elapsed_ms),
                    None => format!(
                        "Your app at {} did not answer (gave up after {} ms):",
                        f.url, f.elapsed_ms
                    ),
                });
                match (f.status, &f.error) {
                    (Some(status), _) => {
                        ui.label(RichText::new(format!("status {status}")).strong());
                        if record.verification.signature.fails()
                            && crate::health::is_success(status)
                        {
                            ui.label(
                                RichText::new(
                                    "⚠ Your app accepted a token that fails verification: it would act on a forged hook. Check the signature (and the alg allow-list) before anything else; Probe my app shows which forgeries get through.",
                                )
                                .color(super::palette::ERROR)
                                .strong(),
                            );
                        }
                    }
                    (None, Some(error)) => {
                        ui.label(RichText::new(error).color(super::palette::ERROR));
                    }
                    _ => {}
                }
            }
            let (headers, body) = record.reply();
            egui::Grid::new("reply headers")
                .striped(true)
                .show(ui, |ui| {
                    for (name, value) in &headers {
                        ui.label(RichText::new(name).monospace().strong());
                        ui.label(RichText::new(value).monospace());
                        ui.end_row();
                    }
                });
            let shown: String = body.chars().take(4096).collect();
            ui.add(egui::Label::new(RichText::new(shown).monospace()).wrap());
        });
}

/// The body as the detail shows it: JSON indented (Pretty), as received (Raw), or
/// a hex dump of its bytes (Hex).
fn body_text(record: &Record, view: BodyView) -> String {
    use std::fmt::Write as _;
    match view {
        BodyView::Pretty => match record
            .body
            .as_deref()
            .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
        {
            Some(json) => serde_json::to_string_pretty(&json).unwrap_or_default(),
            None => body_text(record, BodyView::Raw),
        },
        BodyView::Raw => record
            .body
            .clone()
            .or_else(|| record.body_base64.clone())
            .unwrap_or_default(),
        BodyView::Hex => {
            let bytes = record.body_bytes();
            let mut out = String::new();
            for (line, chunk) in bytes.chunks(16).take(512).enumerate() {
                let _ = write!(out, "{:06x}  ", line * 16);
                for byte in chunk {
                    let _ = write!(out, "{byte:02x} ");
                }
                out.push_str(&"   ".repeat(16 - chunk.len()));
                out.extend(chunk.iter().map(|&b| {
                    if b.is_ascii_graphic() || b == b' ' {
                        b as char
                    } else {
                        '.'
                    }
                }));
                out.push('\n');
            }
            out
        }
    }
}

/// How this event's claims differ from the earlier events of its kind.
fn shape_change(ui: &mut egui::Ui, change: &crate::shapes::Change) {
    ui.label(
        RichText::new("⚠ Its shape differs from the earlier events of its kind")
            .color(super::palette::CAUTION)
            .strong(),
    );
    for (what, paths) in [
        ("added", &change.added),
        ("missing", &change.missing),
        ("retyped", &change.retyped),
    ] {
        if !paths.is_empty() {
            ui.label(format!("{what}: {}", paths.join(", ")));
        }
    }
    ui.separator();
}

/// How much of a long token or body the detail shows until asked for all of it:
/// laying out a whole 800 KB token every frame would make each frame crawl.
const START: usize = 8192;

/// The start of `text` the detail shows (at most [`START`] bytes, cut on a
/// character boundary).
pub(super) fn start_of(text: &str) -> &str {
    if text.len() <= START {
        return text;
    }
    let mut end = START;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The button that shows a long token or body whole.
fn show_all(ui: &mut egui::Ui, seq: u64, len: usize, commands: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        ui.weak("…");
        if ui
            .small_button(format!("Show all ({})", super::widgets::human_size(len)))
            .on_hover_text("Shown whole, a very long text makes every frame slower")
            .clicked()
        {
            commands.push(Command::View(ViewCommand::ShowAll(seq)));
        }
    });
}

/// The token coloured by part, as jwt.io does: header, payload, signature.
pub fn coloured_token(raw: &str, visuals: &egui::Visuals) -> LayoutJob {
    let colors = super::palette::token_parts(visuals);
    let mut job = LayoutJob::default();
    job.wrap.break_anywhere = true;
    let font = egui::FontId::monospace(12.0);
    for (i, part) in raw.split('.').enumerate() {
        if i > 0 {
            job.append(
                ".",
                0.0,
                egui::TextFormat::simple(font.clone(), Color32::GRAY),
            );
        }
        let color = colors[i.min(2)];
        job.append(part, 0.0, egui::TextFormat::simple(font.clone(), color));
    }
    job
}

/// The time state in words, beside its verdict (in the warning colour when it is
/// not current: a valid signature on an expired token is no pass): a JWT's
/// `exp`/`nbf`, or the age at arrival (`received_at`, unix seconds) of the timestamp
/// a scheme signs.
pub fn time_label(ui: &mut egui::Ui, v: &crate::record::Verification, received_at: Option<i64>) {
    let text = time_words(v, received_at);
    if v.time.is_problem() {
        ui.label(RichText::new(text).color(super::palette::HINT).strong());
    } else {
        ui.label(text);
    }
}

/// The words of [`time_label`].
pub fn time_words(v: &crate::record::Verification, received_at: Option<i64>) -> String {
    let jwt = matches!(v.scheme.as_deref(), None | Some("jwt"));
    let age = |ts: i64| {
        received_at.map(|at| {
            let seconds = (at - ts).unsigned_abs();
            let amount = if seconds < 120 {
                format!("{seconds} s")
            } else {
                format!("{} min", seconds / 60)
            };
            (amount, at >= ts)
        })
    };
    match (jwt, v.timestamp.and_then(age)) {
        (true, _) => match v.time {
            TimeState::Ok => "time: within exp/nbf",
            TimeState::Expired => "time: EXPIRED (exp passed)",
            TimeState::NotYetValid => "time: not yet valid (nbf ahead)",
            TimeState::Absent => "time: no exp/nbf (normal for Truora)",
            TimeState::InvalidClaim => "time: exp/nbf is not a number",
        }
        .to_owned(),
        (false, Some((amount, before))) => {
            let when = if before { "before" } else { "after" };
            match v.time {
                TimeState::Expired | TimeState::NotYetValid => {
                    format!("time: signed {amount} {when} arrival, over the 5 min allowed")
                }
                _ => format!("time: signed {amount} {when} arrival (within 5 min)"),
            }
        }
        (false, None) => "time: no signed timestamp".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Signature, Verification};

    fn verification(scheme: &str, timestamp: Option<i64>, time: TimeState) -> Verification {
        let mut v = Verification::new(Signature::Valid, None, time, String::new(), Vec::new());
        v.scheme = Some(scheme.to_owned());
        v.timestamp = timestamp;
        v
    }

    #[test]
    fn a_signed_timestamp_is_said_as_its_age_at_arrival() {
        let at = 1_800_000_000;
        let v = verification("stripe", Some(at - 12), TimeState::Ok);
        assert_eq!(
            time_words(&v, Some(at)),
            "time: signed 12 s before arrival (within 5 min)"
        );
        let v = verification("slack", Some(at - 600), TimeState::Expired);
        assert_eq!(
            time_words(&v, Some(at)),
            "time: signed 10 min before arrival, over the 5 min allowed"
        );
        let v = verification("standard_webhooks", Some(at + 900), TimeState::NotYetValid);
        assert_eq!(
            time_words(&v, Some(at)),
            "time: signed 15 min after arrival, over the 5 min allowed"
        );
        let v = verification("dkim", None, TimeState::Absent);
        assert_eq!(time_words(&v, Some(at)), "time: no signed timestamp");
        let v = verification("jwt", None, TimeState::Absent);
        assert_eq!(
            time_words(&v, Some(at)),
            "time: no exp/nbf (normal for Truora)"
        );
    }
}
