//! The *Processes* view: the shown events as Truora processes. A plot with one
//! lane per subject on a shared time axis (steps as marks; retried and late ones
//! marked; open processes drawn on to now), and below it the processes as rows
//! whose steps select their event when clicked (the plot's marks do too).

use eframe::egui::{self, RichText};
use egui_plot::{Line, LineStyle, MarkerShape, Plot, PlotPoints, Points};

use super::palette;
use super::state::{AppState, Command, ViewCommand};
use crate::timeline::Process;

/// Most lanes drawn in the plot; the rows below list every process.
const MAX_LANES: usize = 200;

/// Draws the view.
pub fn show(ui: &mut egui::Ui, state: &AppState) -> Vec<Command> {
    let mut commands = Vec::new();
    let processes = &state.view.processes;
    let list = processes.list.as_slice();
    let complete = list.iter().filter(|p| p.complete).count();
    let unverified = list.iter().filter(|p| !p.verified).count();
    ui.horizontal_wrapped(|ui| {
        ui.label(format!(
            "{} processes: {complete} complete, {} open, {unverified} unverified",
            list.len(),
            list.len() - complete - unverified
        ));
        if processes.building {
            ui.spinner();
        }
        ui.weak("Unverified requests never complete a process. The filter applies here too.");
    });
    if list.is_empty() {
        ui.weak("No Truora events among the shown events yet.");
        return commands;
    }
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let origin = list
        .iter()
        .filter_map(|p| p.steps.first())
        .map(|s| s.at_ms)
        .min()
        .unwrap_or(now_ms);
    // Room for every lane's name; past most of the panel, the plot scrolls.
    let lanes = list.len().min(MAX_LANES) as f32;
    let height = (lanes * 24.0 + 60.0).max(120.0);
    let clicked = egui::ScrollArea::vertical()
        .id_salt("process lanes")
        .max_height((ui.available_height() * 0.65).max(120.0))
        .show(ui, |ui| plot(ui, list, origin, now_ms, height))
        .inner;
    if let Some(record) = clicked {
        commands.push(Command::View(ViewCommand::SelectRecord(record)));
    }
    ui.separator();
    egui::ScrollArea::vertical()
        .id_salt("process rows")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for process in list {
                process_row(ui, process, now_ms, &mut commands);
            }
        });
    commands
}

fn lane_name(process: &Process) -> String {
    format!(
        "{} {}",
        process.product,
        process.subject.as_deref().unwrap_or("(no subject)")
    )
}

/// The lanes; a click near a mark returns that step's first record id.
fn plot(ui: &mut egui::Ui, list: &[Process], origin: i64, now_ms: i64, height: f32) -> Option<u64> {
    let lanes: Vec<&Process> = list.iter().take(MAX_LANES).collect();
    let names: Vec<String> = lanes.iter().map(|p| lane_name(p)).collect();
    let seconds = |ms: i64| (ms - origin) as f64 / 1000.0;
    let visuals = ui.visuals().clone();
    // What a mark's hover says: the lane, the step, when, which event.
    let hovers: Vec<Vec<(f64, String)>> = lanes
        .iter()
        .map(|process| {
            process
                .steps
                .iter()
                .map(|step| {
                    (
                        seconds(step.at_ms),
                        step_words(process, step, seconds(step.at_ms)),
                    )
                })
                .collect()
        })
        .collect();
    let response = Plot::new("processes")
        .height(height)
        .allow_scroll(false)
        .include_y(-0.5)
        .include_y(lanes.len() as f64 - 0.5)
        .x_axis_label("seconds since the first event")
        .label_formatter(move |at| match at {
            egui_plot::HoverPosition::NearDataPoint { position, .. } if position.y >= -0.5 => {
                hovers
                    .get(position.y.round() as usize)?
                    .iter()
                    .min_by(|a, b| {
                        (a.0 - position.x)
                            .abs()
                            .total_cmp(&(b.0 - position.x).abs())
                    })
                    .map(|(_, words)| words.clone())
            }
            _ => None,
        })
        // A mark on every lane, so every lane is named.
        .y_grid_spacer(egui_plot::uniform_grid_spacer(|_| [1.0, 5.0, 25.0]))
        .y_axis_formatter(move |mark, _| {
            let lane = mark.value.round();
            if (mark.value - lane).abs() > 0.01 || lane < 0.0 {
                return String::new();
            }
            names.get(lane as usize).cloned().unwrap_or_default()
        })
        .show(ui, |plot_ui| {
            for (lane, process) in lanes.iter().enumerate() {
                let y = lane as f64;
                let xs: Vec<[f64; 2]> = process
                    .steps
                    .iter()
                    .map(|s| [seconds(s.at_ms), y])
                    .collect();
                let color = if process.verified {
                    palette::signature(&visuals, crate::record::Signature::Valid)
                } else {
                    palette::ERROR
                };
                plot_ui.line(Line::new(lane_name(process), xs.clone()).color(color));
                if process.verified && !process.complete {
                    // Open: how long it has waited for its next step.
                    if let Some(last) = xs.last() {
                        plot_ui.line(
                            Line::new("waiting", vec![*last, [seconds(now_ms), y]])
                                .color(palette::CAUTION)
                                .style(LineStyle::dashed_loose()),
                        );
                    }
                }
                let marks = |pick: &dyn Fn(&crate::timeline::Step) -> bool| -> PlotPoints<'static> {
                    process
                        .steps
                        .iter()
                        .filter(|s| pick(s))
                        .map(|s| [seconds(s.at_ms), y])
                        .collect()
                };
                plot_ui.points(
                    Points::new("step", marks(&|_| true))
                        .radius(4.0)
                        .color(color),
                );
                plot_ui.points(
                    Points::new("delivered more than once", marks(&|s| s.deliveries > 1))
                        .shape(MarkerShape::Diamond)
                        .radius(7.0)
                        .filled(false)
                        .color(palette::WARNING),
                );
                plot_ui.points(
                    Points::new("arrived out of order", marks(&|s| s.out_of_order))
                        .shape(MarkerShape::Cross)
                        .radius(7.0)
                        .color(palette::ERROR),
                );
            }
            plot_ui.pointer_coordinate()
        });
    if !response.response.clicked() {
        return None;
    }
    let pointer = response.inner?;
    let transform = response.transform;
    let at = transform.position_from_point(&pointer);
    // The nearest mark within 12 points of the click.
    lanes
        .iter()
        .enumerate()
        .flat_map(|(lane, p)| {
            p.steps.iter().map(move |s| {
                let point = egui_plot::PlotPoint::new(seconds(s.at_ms), lane as f64);
                (transform.position_from_point(&point).distance(at), s)
            })
        })
        .filter(|(distance, _)| *distance <= 12.0)
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .and_then(|(_, step)| step.record_ids.first().copied())
}

/// A step in words, for its mark's hover.
fn step_words(process: &Process, step: &crate::timeline::Step, at: f64) -> String {
    let mut words = format!(
        "{}\n{} at +{at:.1} s",
        lane_name(process),
        step.action.as_deref().unwrap_or("(no action)")
    );
    if let Some(id) = step.record_ids.first() {
        words.push_str(&format!(" · event #{id} (click to select)"));
    }
    if step.deliveries > 1 {
        words.push_str(&format!("\ndelivered {} times", step.deliveries));
    }
    if step.out_of_order {
        words.push_str("\narrived out of order");
    }
    if step.by_mail {
        words.push_str("\nby mail");
    }
    words
}

/// One process as a row: its state and its steps, each a button selecting its event.
fn process_row(ui: &mut egui::Ui, process: &Process, now_ms: i64, commands: &mut Vec<Command>) {
    ui.horizontal_wrapped(|ui| {
        let (status, color) = match (process.verified, process.complete) {
            (false, _) => ("UNVERIFIED", palette::ERROR),
            (true, true) => (
                "complete",
                palette::signature(ui.visuals(), crate::record::Signature::Valid),
            ),
            (true, false) => ("open", palette::CAUTION),
        };
        ui.label(RichText::new(lane_name(process)).monospace());
        ui.label(RichText::new(status).color(color).strong());
        for step in &process.steps {
            let mut text = step.action.clone().unwrap_or_else(|| "?".to_owned());
            if step.by_mail {
                // An email hook: its step marked as mail.
                text = format!("✉ {text}");
            }
            if step.deliveries > 1 {
                text.push_str(&format!(" ×{}", step.deliveries));
            }
            if step.out_of_order {
                text.push_str(" (late)");
            }
            let hover = format!(
                "{} at {}; arrived {} ms after it ({} deliveries){}",
                step.action.as_deref().unwrap_or("?"),
                step.timestamp,
                step.delivery_ms,
                step.deliveries,
                if step.out_of_order {
                    "; it arrived after a later step"
                } else {
                    ""
                }
            );
            if ui.small_button(text).on_hover_text(hover).clicked()
                && let Some(id) = step.record_ids.first()
            {
                commands.push(Command::View(ViewCommand::SelectRecord(*id)));
            }
        }
        if process.verified
            && !process.complete
            && let Some(last) = process.steps.last()
        {
            let waited = (now_ms - last.at_ms).max(0) / 1000;
            ui.weak(format!("waiting {}", human_wait(waited)));
        }
    });
}

fn human_wait(seconds: i64) -> String {
    match seconds {
        0..60 => format!("{seconds} s"),
        60..3600 => format!("{} min", seconds / 60),
        _ => format!("{} h {} min", seconds / 3600, seconds % 3600 / 60),
    }
}
