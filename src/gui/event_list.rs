//! The live event list: filters, then a virtualised table (only visible rows are laid out).

use eframe::egui::{self, RichText};
use egui_extras::{Column, TableBuilder};

use super::palette;
use super::state::{AppState, Command, FilesCommand, ViewCommand};
use super::widgets::{badge, human_size, labelled_choice, middle_ellipsis};
use crate::events::Summary;
use crate::record::{Signature, TimeState};
use crate::truora;

const ROW_HEIGHT: f32 = 22.0;

/// How the list writes times: UTC or this machine's zone, with the date when it
/// is not today.
struct Clock {
    zone: jiff::tz::TimeZone,
    today: jiff::civil::Date,
}

impl Clock {
    fn new(local: bool) -> Clock {
        let zone = if local {
            jiff::tz::TimeZone::system()
        } else {
            jiff::tz::TimeZone::UTC
        };
        let today = jiff::Timestamp::now()
            .to_zoned_datetime(zone.clone())
            .date();
        Clock { zone, today }
    }

    fn show(&self, s: &Summary) -> String {
        let Ok(at) = jiff::Timestamp::from_millisecond(s.received_ms) else {
            return String::new();
        };
        let at = at.to_zoned_datetime(self.zone.clone());
        if at.date() == self.today {
            at.strftime("%H:%M:%S%.3f").to_string()
        } else {
            at.strftime("%Y-%m-%d %H:%M:%S").to_string()
        }
    }
}

/// How this frame draws its rows.
#[derive(Clone, Copy)]
struct Rows {
    selected: Option<u64>,
    /// False while new rows slide under a still pointer (following a flood): each
    /// row passing under it would show its hover text (or a cut label its whole
    /// text), fading in over frames drawn for nothing but the fade.
    hints: bool,
}

impl Rows {
    /// A label that, when rows stay put, shows its whole text on hover where
    /// the column cuts it short.
    fn label(self, ui: &mut egui::Ui, text: impl Into<egui::WidgetText>) -> egui::Response {
        ui.add(egui::Label::new(text).show_tooltip_when_elided(self.hints))
    }

    /// `response` with its hover text, when rows stay put.
    fn hint(self, response: egui::Response, text: impl Into<egui::WidgetText>) -> egui::Response {
        if self.hints {
            response.on_hover_text(text)
        } else {
            response
        }
    }
}

/// One row of the table: every cell selects the event when clicked.
fn event_row(
    row: &mut egui_extras::TableRow<'_, '_>,
    seq: u64,
    s: &Summary,
    time: &str,
    deliveries: u32,
    rows: Rows,
    commands: &mut Vec<Command>,
) {
    let selected = rows.selected;
    row.set_selected(selected == Some(seq));
    row.col(|ui| {
        match s.replay_of {
            Some(original) => rows.hint(
                rows.label(
                    ui,
                    RichText::new(format!("{} ({original})", s.id))
                        .monospace()
                        .italics(),
                ),
                format!("Event {}: a replay of event {original}", s.id),
            ),
            None => rows.label(ui, RichText::new(s.id.to_string()).monospace()),
        };
    });
    row.col(|ui| {
        rows.label(ui, RichText::new(time).monospace());
    });
    row.col(|ui| {
        badge(ui, s.signature);
        let time = match s.time_state {
            TimeState::Expired => Some("expired"),
            TimeState::NotYetValid => Some("not yet valid"),
            TimeState::InvalidClaim => Some("bad exp/nbf"),
            TimeState::Ok | TimeState::Absent => None,
        };
        if let Some(time) = time {
            rows.hint(
                rows.label(ui, RichText::new(time).color(palette::WARNING)),
                "The signature is right, but exp/nbf say the token is not current",
            );
        }
    });
    row.col(|ui| {
        let failed = !crate::health::is_success(s.status);
        let text = match (s.forwarded, s.app_status) {
            (true, Some(app)) if app != s.status => format!("{} (app {app})", s.status),
            (true, None) => format!("{} (app: none)", s.status),
            _ => s.status.to_string(),
        };
        let text = RichText::new(text).monospace();
        rows.hint(
            rows.label(ui, if failed {
                text.color(palette::ERROR)
            } else {
                text
            }),
            if failed {
            "A failed delivery: the sender got no 2xx (Truora counts it against the subscription)"
        } else {
                "What the sender got"
            },
        );
    });
    row.col(|ui| {
        let text = format!("{} {}", s.method, s.path);
        rows.hint(rows.label(ui, middle_ellipsis(&text, 30)), &text);
    });
    row.col(|ui| {
        if s.label.is_empty() {
            ui.weak("—");
        } else {
            rows.label(ui, &*s.label);
        }
        if deliveries > 1 {
            rows.hint(
                rows.label(ui, RichText::new(format!("×{deliveries}")).color(palette::WARNING)),
                format!(
                    "Deliveries: this event id arrived {deliveries} times (Truora retries); process it once"
                ),
            );
        }
        if s.forwarded && s.signature.fails() && s.app_status.is_some_and(crate::health::is_success) {
            rows.hint(
                rows.label(ui, RichText::new("⚠ your app accepted a forgery").color(palette::ERROR).strong()),
                "Your app answered 2xx to a token that fails verification: it would act on a forged hook",
            );
        }
        if s.shape_change.is_some() {
            rows.hint(
                rows.label(ui, RichText::new("⚠ shape changed").color(palette::CAUTION)),
                "Its claims have another shape than the earlier events of its kind; the detail shows how",
            );
        }
    });
    row.col(|ui| {
        rows.label(ui, human_size(s.size as usize));
    });
    row.col(|ui| {
        if s.subject.is_empty() {
            ui.weak("—");
        } else {
            rows.hint(
                rows.label(ui, RichText::new(&*s.subject).monospace()),
                &*s.subject,
            );
        }
    });
    let response = row.response();
    response.context_menu(|ui| {
        super::row_menu::show(ui, seq, s, selected, commands);
    });
    if response.clicked() {
        // Ctrl+click (Cmd on macOS) picks a second event to compare with.
        let compare = response.ctx.input(|i| i.modifiers.command);
        commands.push(Command::View(if compare && selected.is_some() {
            ViewCommand::Compare(Some(seq))
        } else {
            ViewCommand::Select(seq)
        }));
    }
}

/// Draws the filter bar and, unless nothing has arrived yet, the table.
pub fn show(ui: &mut egui::Ui, state: &AppState, waiting: bool) -> Vec<Command> {
    let mut commands = Vec::new();
    filter_bar(ui, state, waiting, &mut commands);
    ui.separator();
    if let Some(progress) = &state.files.loading {
        reading(ui, progress.get());
        if state.store.is_empty() {
            ui.add_space(8.0);
            ui.weak("The events show when they are all read; hooks arriving meanwhile are journaled and follow them.");
            return commands;
        }
    }
    if waiting {
        return commands;
    }
    if state.store.visible().is_empty() && !state.store.is_empty() {
        ui.add_space(12.0);
        ui.label(format!(
            "No events match {} ({} held).",
            state.store.filter().in_words(),
            state.store.len()
        ));
        if ui.button("Reset filters").clicked() {
            commands.push(Command::View(ViewCommand::ResetFilters));
        }
    } else {
        // A narrow window scrolls the columns sideways rather than hide them.
        egui::ScrollArea::horizontal()
            .id_salt("events-columns")
            .show(ui, |ui| table(ui, state, &mut commands));
    }
    commands
}

/// The progress of a capture being read (the journal at start, or a file opened).
fn reading(ui: &mut egui::Ui, (done, total): (u64, u64)) {
    let fraction = if total == 0 {
        0.0
    } else {
        done as f32 / total as f32
    };
    ui.add(
        egui::ProgressBar::new(fraction)
            .show_percentage()
            .text(format!(
                "Reading events: {} of {}",
                human_size(done as usize),
                human_size(total as usize)
            )),
    );
}

fn filter_bar(ui: &mut egui::Ui, state: &AppState, waiting: bool, commands: &mut Vec<Command>) {
    let view = &state.view;
    let filter = state.store.filter();
    // Edited as copies; a change goes back as one command.
    let (mut text, mut signature, mut product) =
        (filter.text.clone(), filter.signature, filter.product);
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("Filter");
        let field = ui
            .add(
                egui::TextEdit::singleline(&mut text)
                    .desired_width((ui.available_width() * 0.35).clamp(140.0, 260.0))
                    .hint_text("anything in a body, header or claim (Ctrl+F)"),
            )
            .labelled_by(label.id);
        if view.list.focus_filter {
            field.request_focus();
        }
        let mut changed = field.changed();
        // The verdicts, and tokens that are not current by their exp/nbf.
        let signatures: Vec<((Option<Signature>, bool), String)> =
            std::iter::once(((None, false), "Any".to_owned()))
                .chain(Signature::ALL.map(|s| ((Some(s), false), s.label().to_owned())))
                .chain(std::iter::once((
                    (None, true),
                    "Expired or not yet valid".to_owned(),
                )))
                .collect();
        let mut verdict = (signature, filter.time_problem);
        if labelled_choice(ui, "Signature", 150.0, &mut verdict, &signatures) {
            signature = verdict.0;
            changed = true;
            if verdict.1 != filter.time_problem {
                commands.push(Command::View(ViewCommand::SetTimeProblem(verdict.1)));
            }
        }
        let products: Vec<(Option<truora::Product>, String)> =
            std::iter::once((None, "Any".to_owned()))
                .chain(truora::Product::ALL.map(|p| (Some(p), p.title().to_owned())))
                .collect();
        changed |= labelled_choice(ui, "Product", 130.0, &mut product, &products);
        // Escape in the filter field empties it.
        if (field.has_focus() || field.lost_focus())
            && ui.input(|i| i.key_pressed(egui::Key::Escape))
            && !text.is_empty()
        {
            text.clear();
            changed = true;
        }
        if changed {
            commands.push(Command::View(ViewCommand::SetFilter {
                text: text.clone(),
                signature,
                product,
            }));
        }
        if let Some((done, total)) = view.searching.as_ref().map(|p| p.get()) {
            ui.spinner()
                .on_hover_text("searching bodies, headers and claims");
            if total >= 1000 {
                ui.weak(format!("searching {}%", done * 100 / total.max(1)));
            }
        }
        let mut local = view.list.local_time;
        if ui
            .checkbox(&mut local, "Local time")
            .on_hover_text(
                "Times in this machine's time zone (else UTC); the date shows when it is not today",
            )
            .changed()
        {
            commands.push(Command::View(ViewCommand::SetLocalTime(local)));
        }
        let mut failed_only = filter.failed_only;
        if ui
            .checkbox(&mut failed_only, "Failed deliveries")
            .on_hover_text("Only the requests whose sender got no 2xx")
            .changed()
        {
            commands.push(Command::View(ViewCommand::SetFailedOnly(failed_only)));
        }
    });
    // What is shown and done: a row of its own, so that a wide window keeps it whole.
    ui.horizontal_wrapped(|ui| {
        let mut newest_first = view.list.newest_first;
        if ui.checkbox(&mut newest_first, "Newest first").changed() {
            commands.push(Command::View(ViewCommand::SetNewestFirst(newest_first)));
        }
        let mut follow = view.list.follow;
        if ui
            .checkbox(&mut follow, "Follow new events")
            .on_hover_text("Keep the newest event in view; scrolling pauses it")
            .changed()
        {
            commands.push(Command::View(ViewCommand::SetFollow(follow)));
        }
        let pause = if view.list.paused { "Resume" } else { "Pause" };
        if ui
            .button(pause)
            .on_hover_text("Freeze the list while you read; capture goes on and new events wait")
            .clicked()
        {
            commands.push(Command::View(ViewCommand::SetPaused(!view.list.paused)));
        }
        ui.separator();
        if ui.button("Export…").on_hover_text("Ctrl+E").clicked() {
            commands.push(Command::Files(FilesCommand::ShowExport));
        }
        if ui.button("Open…").clicked() {
            commands.push(Command::Files(FilesCommand::ShowOpen));
        }
        let shown = state.store.visible().len();
        if !waiting && shown > 0 {
            let to = state.listener.replay_target();
            if ui
                .button(format!("Replay all {shown} shown"))
                .on_hover_text(format!(
                    "Send every event the filter shows again to {to} (set in Reply & forward)"
                ))
                .clicked()
            {
                commands.push(Command::Ask {
                    question: format!("Send all {shown} shown events again to {to}?"),
                    yes: format!("Replay {shown}"),
                    then: Box::new(Command::Replay { shown: true }),
                });
            }
        }
        // The empty state offers its own; here, a menu of every product.
        if !waiting {
            ui.menu_button("Send test hook", |ui| {
                for product in crate::samples::PRODUCTS {
                    if ui.button(truora::describe(product, None)).clicked() {
                        commands.push(Command::View(ViewCommand::SetTestProduct(
                            product.to_owned(),
                        )));
                        commands.push(Command::SendTestHook);
                        ui.close();
                    }
                }
                ui.separator();
                for (product, words) in super::empty::test_providers() {
                    if ui.button(words).clicked() {
                        commands.push(Command::View(ViewCommand::SetTestProduct(product)));
                        commands.push(Command::SendTestHook);
                        ui.close();
                    }
                }
            })
            .response
            .on_hover_text(
                "Sign a Truora-shaped hook with your first secret and send it to the listener",
            );
        }
        if let Some(path) = &state.files.opened_from {
            if ui
                .button("Back to live")
                .on_hover_text(format!(
                    "Leave {} and show the live capture again",
                    path.display()
                ))
                .clicked()
            {
                commands.push(Command::BackToLive);
            }
        } else if ui
            .button("Clear")
            .on_hover_text("Forget every event, here and in the journal")
            .clicked()
        {
            let journal = state
                .files
                .journal_path
                .as_ref()
                .map_or(String::new(), |p| {
                    format!(" and empty the journal {}", p.display())
                });
            commands.push(Command::Ask {
                question: format!(
                    "Forget the {} events held here{journal}? This cannot be undone.",
                    state.store.len()
                ),
                yes: "Clear all".to_owned(),
                then: Box::new(Command::Clear),
            });
        }
    });
}

fn table(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let view = &state.view;
    let visible = state.store.visible();
    let rows = visible.len();
    let newest_first = view.list.newest_first;
    let seq_at = |row: usize| {
        if newest_first {
            visible[rows - 1 - row]
        } else {
            visible[row]
        }
    };
    // Labels that can be selected would take the click from the row.
    ui.style_mut().interaction.selectable_labels = false;
    // Newest first and not following: new rows come in above what is being read,
    // so the view moves down by as many rows and the rows under the pointer stay put.
    let memory = ui.scope_id().with("events-scroll");
    let (last_rows, last_offset, last_height): (usize, f32, Option<f32>) =
        ui.data(|d| d.get_temp(memory)).unwrap_or((rows, 0.0, None));
    let row_pitch = ROW_HEIGHT + ui.spacing().item_spacing.y;
    // Only the user moving this list changes following: the wheel over it, or a drag
    // that began on it (its scroll bar), that moved it while no rows came. Scrolling
    // the detail, or clicking a row, leaves following as it is. Read before the list
    // takes the wheel's movement in.
    let list = ui.available_rect_before_wrap();
    let on_list = ui.input(|i| {
        let over = |pos: Option<egui::Pos2>| pos.is_some_and(|p| list.contains(p));
        (i.smooth_scroll_delta.y != 0.0 && over(i.pointer.hover_pos()))
            || (i.pointer.any_down() && over(i.pointer.press_origin()))
    });
    let mut builder = TableBuilder::new(ui)
        .id_salt("events")
        .striped(true)
        .resizable(true)
        .sense(egui::Sense::click())
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        // What matters most comes first, so a narrow window still shows it; the
        // subject takes what is left of a wide one.
        .column(Column::exact(58.0))
        .column(Column::initial(96.0).at_least(96.0))
        .column(Column::exact(150.0))
        .column(Column::exact(78.0))
        .column(Column::initial(170.0).at_least(100.0).clip(true))
        .column(Column::initial(160.0).at_least(90.0).clip(true))
        .column(Column::exact(64.0))
        .column(Column::remainder().at_least(80.0).clip(true))
        .auto_shrink([false, false])
        // Following a flood, or the keys, jumps to the row: an animation would
        // chase a target that moves every frame, drawing a frame per step.
        .animate_scrolling(false)
        // A bar that appears once the rows overflow fades in over several frames,
        // just as the first hooks of a flood land.
        .scroll_bar_visibility(egui::scroll_area::ScrollBarVisibility::AlwaysVisible);
    if view.selection.scroll_to_selected {
        if let Some(row) = view
            .selection
            .selected
            .and_then(|seq| visible.binary_search(&seq).ok())
            .map(|i| if newest_first { rows - 1 - i } else { i })
        {
            builder = builder.scroll_to_row(row, None);
        }
    } else if view.list.follow && view.arrivals.arrived > 0 && rows > 0 {
        // Where the newest row lies is set before the rows are laid out. Scrolling
        // to it would lay them out where the view was, draw that, and draw again.
        builder = match (newest_first, last_height) {
            (true, _) => builder.vertical_scroll_offset(0.0),
            (false, Some(height)) => {
                builder.vertical_scroll_offset((rows as f32 * row_pitch - height).max(0.0))
            }
            (false, None) => builder.scroll_to_row(rows - 1, None),
        };
    }
    if newest_first && !view.list.follow && !view.selection.scroll_to_selected && rows > last_rows {
        builder =
            builder.vertical_scroll_offset(last_offset + (rows - last_rows) as f32 * row_pitch);
    }
    let look = Rows {
        selected: view.selection.selected,
        hints: !view.arrivals.rows_sliding(),
    };
    let store = &state.store;
    let clock = Clock::new(view.list.local_time);
    let output = builder
        .header(20.0, |mut header| {
            for title in [
                "#",
                if view.list.local_time {
                    "Time (local)"
                } else {
                    "Time (UTC)"
                },
                "Signature",
                "Status",
                "Method · path",
                "Product · action",
                "Body",
                "Subject",
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
                        .event_key
                        .map_or(0, |key| store.deliveries(key));
                    let time = clock.show(&entry.summary);
                    event_row(
                        &mut row,
                        seq,
                        &entry.summary,
                        &time,
                        deliveries,
                        look,
                        commands,
                    );
                }
            });
        });
    // Scrolling away from the newest event pauses following; coming back resumes it.
    let offset = output.state.clamped_offset().y;
    let height = output.inner_rect.height();
    ui.data_mut(|d| d.insert_temp(memory, (rows, offset, Some(height))));
    if view.list.follow && view.arrivals.arrived > 0 && !newest_first && last_height != Some(height)
    {
        // The rows that came were laid out for the list's old height.
        ui.ctx().request_repaint();
    }
    let max = (output.content_size.y - height).max(0.0);
    let moved = rows == last_rows && (offset - last_offset).abs() > 0.5;
    if on_list && moved && rows > 0 {
        let at_newest = if newest_first {
            offset <= 1.0
        } else {
            offset >= max - 1.0
        };
        if at_newest != view.list.follow {
            commands.push(Command::View(ViewCommand::SetFollow(at_newest)));
        }
    }
}
