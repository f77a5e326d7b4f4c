//! The eframe app: [`eframe::App::logic`] takes in events and job results,
//! [`eframe::App::ui`] draws the panels and applies the commands they return.

use std::sync::Arc;
use std::time::Instant;

use eframe::egui;

use super::pace::{CATCH_UP, Pace};
use super::state::{
    AppState, Command, FilesCommand, Notice, Settings, Startup, Tab, ViewCommand, WorkbenchCommand,
};
use crate::email::imap::FollowState;

/// The key settings are saved under.
const SETTINGS_KEY: &str = "hookscope-settings";

/// The desktop inspector.
pub struct HookscopeApp {
    pub state: AppState,
    /// For the look the settings remember (theme, zoom), which egui's context holds.
    ctx: egui::Context,
    /// How soon news is drawn and how long a frame files events.
    pace: Arc<Pace>,
}

impl HookscopeApp {
    /// Builds the app; restores saved settings from eframe's storage.
    pub fn new(cc: &eframe::CreationContext<'_>, mut startup: Startup) -> Self {
        let saved = cc
            .storage
            .and_then(|storage| eframe::get_value::<Settings>(storage, SETTINGS_KEY));
        if let Some(saved) = &saved {
            if let Some(dark) = saved.dark {
                cc.egui_ctx.set_theme(if dark {
                    egui::Theme::Dark
                } else {
                    egui::Theme::Light
                });
            }
            if saved.zoom.is_finite() && (0.5..=3.0).contains(&saved.zoom) {
                cc.egui_ctx.set_zoom_factor(saved.zoom);
            }
        }
        startup = with_saved(startup, saved);
        Self::with_context(&cc.egui_ctx, startup)
    }

    /// Builds the app on a context (tests use this with kittest's context).
    pub fn with_context(ctx: &egui::Context, startup: Startup) -> Self {
        let repaint = ctx.clone();
        let pace = Arc::new(Pace::default());
        let waker = {
            let pace = Arc::clone(&pace);
            Arc::new(move || repaint.request_repaint_after(pace.wake(Instant::now())))
        };
        HookscopeApp {
            state: AppState::new(startup, waker),
            ctx: ctx.clone(),
            pace,
        }
    }

    /// What to save between runs: the state's settings and the window's look.
    pub fn settings(&self) -> Settings {
        Settings {
            dark: match self.ctx.options(|o| o.theme_preference) {
                egui::ThemePreference::Dark => Some(true),
                egui::ThemePreference::Light => Some(false),
                egui::ThemePreference::System => None,
            },
            zoom: self.ctx.zoom_factor(),
            ..self.state.settings()
        }
    }

    /// The logic of one frame: never draws.
    pub fn logic_pass(&mut self, ctx: &egui::Context) {
        self.pace.frame(Instant::now());
        if self.state.tick_within(self.pace.budget()) {
            // More is waiting: the next frame takes its next slice, at display rate.
            ctx.request_repaint_after(CATCH_UP);
        }
        self.pace.filed(self.state.view.arrivals.arrived);
        if let Some(text) = self.state.copied.take() {
            ctx.copy_text(text);
        }
        // Keep the events-per-second figure moving while events arrive.
        if self.state.view.arrivals.arrived > 0 {
            ctx.request_repaint_after(std::time::Duration::from_secs(1));
        }
        // The mail menu's title follows a mailbox that is connecting or failing, and
        // the relay menu's a relay followed.
        if matches!(
            self.state.mailbox.state(),
            Some(FollowState::Connecting | FollowState::Retrying { .. })
        ) || self.state.relay.state().is_some()
        {
            ctx.request_repaint_after(std::time::Duration::from_secs(1));
        }
        // A frame when the notice is due to go, even in an idle window.
        if let Some(left) = self.state.notice.as_ref().map(Notice::left) {
            ctx.request_repaint_after(left);
        }
    }

    /// Draws one frame and applies what the panels asked for.
    pub fn draw(&mut self, ui: &mut egui::Ui) {
        let mut commands = shortcuts(ui.ctx(), &self.state);
        let state = &self.state;
        let (side, central) = unfilled_frames(ui.style());
        egui::Panel::top("top_bar").frame(side).show(ui, |ui| {
            ui.add_space(4.0);
            commands.extend(super::top_bar::show(ui, state));
            ui.add_space(2.0);
        });
        egui::Panel::bottom("status_bar")
            .frame(side)
            .show(ui, |ui| {
                commands.extend(super::status_bar::show(ui, state));
            });
        let detail = detail_width(ui);
        egui::Panel::right("detail")
            .frame(side)
            .resizable(true)
            .default_size(detail)
            // Wide enough that claims and the token stay readable however wide the
            // list is dragged.
            .min_size(360.0)
            .max_size(900.0)
            .show(ui, |ui| {
                commands.extend(super::detail::show(ui, state));
            });
        egui::CentralPanel::default().frame(central).show(ui, |ui| {
            ui.horizontal(|ui| {
                for (tab, name, hover) in [
                    (Tab::Events, "Events", "Every request, as it arrived"),
                    (
                        Tab::Processes,
                        "Processes",
                        "The events grouped by Truora process: steps, retries, late arrivals",
                    ),
                ] {
                    if ui
                        .selectable_label(state.view.list.tab == tab, name)
                        .on_hover_text(hover)
                        .clicked()
                    {
                        commands.push(Command::View(ViewCommand::ShowTab(tab)));
                    }
                }
            });
            // While a capture is read, its progress shows instead of the first-hook hints.
            let waiting = state.store.is_empty()
                && state.files.opened_from.is_none()
                && state.files.loading.is_none();
            match state.view.list.tab {
                Tab::Events => {
                    commands.extend(super::event_list::show(ui, state, waiting));
                    if waiting {
                        commands.extend(super::empty::show(ui, state));
                    }
                }
                Tab::Processes => {
                    // The filter bar only: the filter applies to the processes too.
                    commands.extend(super::event_list::show(ui, state, true));
                    commands.extend(super::processes::show(ui, state));
                }
            }
        });
        commands.extend(super::files::show(ui.ctx(), state));
        commands.extend(super::editor::show(ui.ctx(), state));
        commands.extend(super::paste::show(ui.ctx(), state));
        commands.extend(super::compare::show(ui.ctx(), state));
        commands.extend(question(ui.ctx(), state));
        self.state.view.frame_done();
        for command in commands {
            self.state.apply(command);
        }
    }
}

/// The detail panel's width: a third of the window, following it as it is resized
/// (a window maximised after its first frame included), until the user drags the
/// panel's edge; from then on, theirs (remembered with the window's settings).
fn detail_width(ui: &egui::Ui) -> f32 {
    let target = (ui.available_width() * 0.32).clamp(360.0, 900.0);
    // The ids egui gives the panel and its resize handle.
    let panel = ui.scope_id().with_salt(egui::IdSalt::new("detail"));
    let (sized_by_user, set) = (panel.with("sized by the user"), panel.with("width set"));
    let ctx = ui.ctx();
    if ctx.is_being_dragged(panel.with("__resize")) {
        ctx.data_mut(|d| d.insert_persisted(sized_by_user, true));
    }
    if ctx.data_mut(|d| d.get_persisted::<bool>(sized_by_user)) == Some(true) {
        return target;
    }
    if ctx
        .data(|d| d.get_temp::<f32>(set))
        .is_none_or(|width| (width - target).abs() > 1.0)
    {
        // Forgetting the panel's size makes it take its default size again.
        ctx.data_mut(|d| {
            d.remove::<egui::containers::panel::PanelState>(panel);
            d.insert_temp(set, target);
        });
    }
    target
}

/// The question waiting for an answer, as a modal: Enter says yes, Escape no.
fn question(ctx: &egui::Context, state: &AppState) -> Vec<Command> {
    let mut commands = Vec::new();
    let Some(question) = &state.question else {
        return commands;
    };
    egui::Modal::new(egui::Id::unique("hookscope question")).show(ctx, |ui| {
        ui.set_max_width(420.0);
        ui.label(&question.text);
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ui.button(&question.yes).clicked() {
                commands.push(Command::Answer(true));
            }
            if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                commands.push(Command::Answer(false));
            }
        });
    });
    commands
}

/// The start-up options with the saved settings taken in: an address given on the
/// command line wins over the saved one, whatever its value.
pub fn with_saved(mut startup: Startup, saved: Option<Settings>) -> Startup {
    if startup.bind_given {
        // The command line's address is for this run; the saved one stays saved.
        let kept = saved
            .as_ref()
            .map_or_else(|| Settings::default().bind, |s| s.bind.clone());
        startup.saved_bind = Some(kept);
    }
    if let Some(saved) = saved {
        let bind = if startup.bind_given {
            startup.settings.bind.clone()
        } else {
            saved.bind.clone()
        };
        startup.settings = Settings { bind, ..saved };
    }
    startup
}

/// Ctrl+F, Ctrl+E, and the arrows when no text field has the keyboard.
fn shortcuts(ctx: &egui::Context, state: &AppState) -> Vec<Command> {
    let mut commands = Vec::new();
    // Escape closes what is open over the list (the question handles its own).
    if state.question.is_none() && ctx.input(|i| i.key_pressed(egui::Key::Escape)) {
        if state.workbench.editor.is_some() {
            commands.push(Command::Workbench(WorkbenchCommand::CloseEditor));
        } else if state.view.selection.compare.is_some() {
            commands.push(Command::View(ViewCommand::Compare(None)));
        } else if state.workbench.paste.is_some() {
            commands.push(Command::Workbench(WorkbenchCommand::Paste(None)));
        } else if state.files.dialog.is_some() {
            commands.push(Command::Files(FilesCommand::Close));
        }
    }
    ctx.input_mut(|i| {
        if i.consume_key(egui::Modifiers::COMMAND, egui::Key::F) {
            commands.push(Command::View(ViewCommand::FocusFilter));
        }
        if i.consume_key(egui::Modifiers::COMMAND, egui::Key::E) {
            commands.push(Command::Files(FilesCommand::ShowExport));
        }
    });
    if !ctx.egui_wants_keyboard_input() {
        ctx.input_mut(|i| {
            if i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowDown) {
                commands.push(Command::View(ViewCommand::Move(1)));
            }
            if i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowUp) {
                commands.push(Command::View(ViewCommand::Move(-1)));
            }
            // A page is about as many rows as a window shows; Home and End go to the ends.
            for (key, delta) in [
                (egui::Key::PageDown, 20),
                (egui::Key::PageUp, -20),
                (egui::Key::End, i64::MAX / 2),
                (egui::Key::Home, -(i64::MAX / 2)),
            ] {
                if i.consume_key(egui::Modifiers::NONE, key) {
                    commands.push(Command::View(ViewCommand::Move(delta)));
                }
            }
        });
    }
    commands
}

/// The panels' frames (side and top, central) without their fill: the window is
/// cleared to the panels' colour ([`eframe::App::clear_color`]), so painting it
/// again would only cost. On a software renderer each fill of the window costs
/// about a fifth of a frame.
fn unfilled_frames(style: &egui::Style) -> (egui::Frame, egui::Frame) {
    (
        egui::Frame::side_top_panel(style).fill(egui::Color32::TRANSPARENT),
        egui::Frame::central_panel(style).fill(egui::Color32::TRANSPARENT),
    )
}

impl eframe::App for HookscopeApp {
    fn clear_color(&self, visuals: &egui::Visuals) -> [f32; 4] {
        visuals.panel_fill.to_normalized_gamma_f32()
    }

    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.logic_pass(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.draw(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, SETTINGS_KEY, &self.settings());
    }
}
