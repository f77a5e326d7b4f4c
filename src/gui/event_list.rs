//! The live event list: filters, then a virtualised table (only visible rows are laid out).

use eframe::egui::{self, RichText};
use egui_extras::{Column, TableBuilder};

use super::palette;
use super::state::{AppState, Command, FilesCommand, ViewCommand};
use super::store::Summary;
use super::widgets::{badge, human_size, labelled_choice, middle_ellipsis};
use crate::record::Signature;
use crate::truora;

const ROW_HEIGHT: f32 = 22.0;

/// One row of the table: every cell selects the event when clicked.
fn event_row(
    row: &mut egui_extras::TableRow<'_, '_>,
    seq: u64,
    s: &Summary,
    deliveries: u32,
    selected: Option<u64>,
    commands: &mut Vec<Command>,
) {
    row.set_selected(selected == Some(seq));
    row.col(|ui| {
        ui.label(RichText::new(&s.time).monospace());
    });
    row.col(|ui| {
        let text = format!("{} {}", s.method, s.path);
        ui.label(middle_ellipsis(&text, 30)).on_hover_text(&text);
    });
    row.col(|ui| {
        if s.label.is_empty() {
            ui.weak("—");
        } else {
            ui.label(&s.label);
        }
        if deliveries > 1 {
            ui.label(RichText::new(format!("×{deliveries}")).color(palette::WARNING))
                .on_hover_text(format!(
                    "Deliveries: this event id arrived {deliveries} times (Truora retries); process it once"
                ));
        }
        if s.shape_change.is_some() {
            ui.label(RichText::new("⚠ shape changed").color(palette::CAUTION))
                .on_hover_text("Its claims have another shape than the earlier events of its kind; the detail shows how");
        }
    });
    row.col(|ui| {
        if s.subject.is_empty() {
            ui.weak("—");
        } else {
            ui.label(RichText::new(middle_ellipsis(&s.subject, 15)).monospace())
                .on_hover_text(&s.subject);
        }
    });
    row.col(|ui| {
        badge(ui, s.signature);
    });
    row.col(|ui| {
        ui.label(human_size(s.size));
    });
    if row.response().clicked() {
        commands.push(Command::View(ViewCommand::Select(seq)));
    }
}

/// Draws the filter bar and, unless nothing has arrived yet, the table.
pub fn show(ui: &mut egui::Ui, state: &AppState, waiting: bool) -> Vec<Command> {
    let mut commands = Vec::new();
    filter_bar(ui, state, &mut commands);
    ui.separator();
    if !waiting {
        table(ui, state, &mut commands);
    }
    commands
}

fn filter_bar(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let view = &state.view;
    // Edited as copies; a change goes back as one command.
    let (mut text, mut signature, mut product) = (
        view.filter_text.clone(),
        view.filter_signature,
        view.filter_product,
    );
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("Filter");
        let field = ui
            .add(
                egui::TextEdit::singleline(&mut text)
                    .desired_width(220.0)
                    .hint_text("path, id, subject, product… (Ctrl+F)"),
            )
            .labelled_by(label.id);
        if view.focus_filter {
            field.request_focus();
        }
        let mut changed = field.changed();
        let signatures: Vec<(Option<Signature>, String)> =
            std::iter::once((None, "Any".to_owned()))
                .chain(Signature::ALL.map(|s| (Some(s), s.label().to_owned())))
                .collect();
        changed |= labelled_choice(ui, "Signature", 120.0, &mut signature, &signatures);
        let products: Vec<(Option<truora::Product>, String)> =
            std::iter::once((None, "Any".to_owned()))
                .chain(truora::Product::ALL.map(|p| (Some(p), p.title().to_owned())))
                .collect();
        changed |= labelled_choice(ui, "Product", 130.0, &mut product, &products);
        if changed {
            commands.push(Command::View(ViewCommand::SetFilter {
                text: text.clone(),
                signature,
                product,
            }));
        }
        ui.separator();
        let mut newest_first = view.newest_first;
        if ui.checkbox(&mut newest_first, "Newest first").changed() {
            commands.push(Command::View(ViewCommand::SetNewestFirst(newest_first)));
        }
        let mut follow = view.follow;
        if ui
            .checkbox(&mut follow, "Follow new events")
            .on_hover_text("Keep the newest event in view; scrolling pauses it")
            .changed()
        {
            commands.push(Command::View(ViewCommand::SetFollow(follow)));
        }
        ui.separator();
        if ui.button("Export…").on_hover_text("Ctrl+E").clicked() {
            commands.push(Command::Files(FilesCommand::ShowExport));
        }
        if ui.button("Open…").clicked() {
            commands.push(Command::Files(FilesCommand::ShowOpen));
        }
        if ui
            .button("Clear")
            .on_hover_text("Forget every event, here and in the journal")
            .clicked()
        {
            commands.push(Command::Clear);
        }
    });
}

fn table(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let view = &state.view;
    let visible = state.store.visible();
    let rows = visible.len();
    let newest_first = view.newest_first;
    let seq_at = |row: usize| {
        if newest_first {
            visible[rows - 1 - row]
        } else {
            visible[row]
        }
    };
    // Labels that can be selected would take the click from the row.
    ui.style_mut().interaction.selectable_labels = false;
    let mut builder = TableBuilder::new(ui)
        .id_salt("events")
        .striped(true)
        .resizable(true)
        .sense(egui::Sense::click())
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::exact(100.0))
        .column(Column::initial(190.0).at_least(100.0).clip(true))
        .column(Column::initial(165.0).at_least(90.0).clip(true))
        .column(Column::initial(125.0).at_least(70.0).clip(true))
        .column(Column::exact(122.0))
        .column(Column::remainder().at_least(64.0))
        .auto_shrink([false, false]);
    if view.scroll_to_selected {
        if let Some(row) = view
            .selected
            .and_then(|seq| visible.binary_search(&seq).ok())
            .map(|i| if newest_first { rows - 1 - i } else { i })
        {
            builder = builder.scroll_to_row(row, None);
        }
    } else if view.follow && view.arrived > 0 && rows > 0 {
        builder = builder.scroll_to_row(if newest_first { 0 } else { rows - 1 }, None);
    }
    let selected = view.selected;
    let store = &state.store;
    let output = builder
        .header(20.0, |mut header| {
            for title in [
                "Time (UTC)",
                "Method · path",
                "Product · action",
                "Subject",
                "Signature",
                "Body",
            ] {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(ROW_HEIGHT, rows, |mut row| {
                let seq = seq_at(row.index());
                if let Some(entry) = store.get(seq) {
                    let deliveries = entry
                        .summary
                        .event_id
                        .as_deref()
                        .map_or(0, |id| store.deliveries(id));
                    event_row(
                        &mut row,
                        seq,
                        &entry.summary,
                        deliveries,
                        selected,
                        commands,
                    );
                }
            });
        });
    // Scrolling away from the newest event pauses following; coming back resumes it.
    let offset = output.state.clamped_offset().y;
    let max = (output.content_size.y - output.inner_rect.height()).max(0.0);
    let user_scrolled = ui.input(|i| i.smooth_scroll_delta.y != 0.0 || i.pointer.any_down());
    if user_scrolled && rows > 0 {
        let at_newest = if newest_first {
            offset <= 1.0
        } else {
            offset >= max - 1.0
        };
        if at_newest != view.follow {
            commands.push(Command::View(ViewCommand::SetFollow(at_newest)));
        }
    }
}
