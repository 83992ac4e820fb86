// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // Before anything starts a thread or GTK.
    mostrador_app::webview_env::apply();
    mostrador_app::run()
}
