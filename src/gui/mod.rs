//! The desktop inspector: the only module that imports egui/eframe.

pub mod app;
pub mod compare;
pub mod detail;
pub mod editor;
pub mod empty;
pub mod event_list;
pub mod files;
pub mod heap;
pub mod json_tree;
pub mod mail;
pub mod mail_menu;
pub mod pace;
pub mod palette;
pub mod paste;
pub mod processes;
pub mod receiver_code;
pub mod relay_menu;
pub mod row_menu;
pub mod state;
pub mod status_bar;
pub mod top_bar;
pub mod widgets;

pub use app::HookscopeApp;
pub use state::{AppState, Command, Startup};

/// The app's data folder: settings (eframe) and the journal of captured events.
pub fn data_dir() -> Option<std::path::PathBuf> {
    eframe::storage_dir("hookscope")
}

/// Opens the window and runs until it is closed.
pub fn run(startup: Startup) -> anyhow::Result<()> {
    let mut viewport = eframe::egui::ViewportBuilder::default()
        .with_title("hookscope")
        .with_app_id("hookscope")
        .with_inner_size([1360.0, 860.0])
        .with_min_inner_size([760.0, 480.0]);
    match eframe::icon_data::from_png_bytes(include_bytes!("../../assets/icon.png")) {
        Ok(icon) => viewport = viewport.with_icon(std::sync::Arc::new(icon)),
        Err(err) => log::warn!("could not load the app icon: {err}"),
    }
    let settings = data_dir().map(|dir| dir.join("settings.ron"));
    if let Some(path) = &settings {
        // eframe writes the settings in place: a file made 0600 here stays so.
        let made = path
            .parent()
            .map_or(Ok(()), crate::private::dir)
            .and_then(|()| crate::private::file(path, "{}"));
        if let Err(err) = made {
            log::warn!("could not make {} private: {err}", path.display());
        }
    }
    let options = eframe::NativeOptions {
        viewport,
        persistence_path: settings,
        ..Default::default()
    };
    heap::keep_freed_heap();
    eframe::run_native(
        "hookscope",
        options,
        Box::new(move |cc| Ok(Box::new(HookscopeApp::new(cc, startup)))),
    )
    .map_err(|err| {
        anyhow::anyhow!(
            "could not open the window: {err} (on Linux without a display, use `hookscope listen`)"
        )
    })
}
