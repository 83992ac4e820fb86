//! The desktop shell: wires plugins, opens the store, and exposes thin commands over core.

mod afip_setup;
pub mod bindings;
mod boot;
mod commands;
mod connect;
mod conversations;
mod demo;
mod desktop_notify;
mod intake;
mod invoices;
pub mod ipc;
mod media;
mod notifications;
mod outbound;
mod paths;
mod payments;
mod sms_compose;
mod templates;
mod tray;
pub mod updater;
pub mod webview_env;

use tauri::Manager;

event! {
    /// The user launched Mostrador again; the running window was brought to the front.
    pub SECOND_INSTANCE: "second-instance" => ()
}

pub fn run() {
    tauri::Builder::default()
        // Must be the first plugin: a second launch hands over to the running window and exits.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            tracing::info!("second launch handed over to the running window");
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.set_focus();
            }
            let _ = SECOND_INSTANCE.emit(app, ());
        }))
        .plugin(updater::plugin())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        // Our commands open links (checked http/https); the plugin must not catch clicks itself.
        .plugin(
            tauri_plugin_opener::Builder::new()
                .open_js_links_on_click(false)
                .build(),
        )
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            None,
        ))
        // Held by sends and invoice submissions in flight; the updater waits for them.
        .manage(mostrador_core::activity::ActivityGate::new())
        .manage(updater::Updates::new())
        .manage(outbound::Engine::default())
        .manage(intake::Intakes::default())
        .manage(tray::Unread::default())
        .manage(notifications::Notifications::default())
        .manage(demo::DemoRuntime::default())
        .manage(invoices::Afip::default())
        .manage(desktop_notify::Desktop::default())
        .manage(payments::Payments::default())
        .setup(|app| {
            let dirs = paths::AppDirs::resolve(app.handle())?;
            match mostrador_core::logging::init(&dirs.logs) {
                Ok(guard) => {
                    app.manage(guard);
                }
                Err(e) => eprintln!("Mostrador: file logging disabled: {e}"),
            }
            tracing::info!(
                version = env!("CARGO_PKG_VERSION"),
                data = %dirs.data.display(),
                logs = %dirs.logs.display(),
                "starting"
            );
            media::allow(app.handle(), &dirs.data);
            // libphonenumber's metadata loads on first use, and every row of the list formats its
            // number: load it now, beside the window's start, not in the first page of the list.
            std::thread::spawn(|| {
                let started = std::time::Instant::now();
                let _ = mostrador_types::Phone::from_wa_id("5491112345678").map(|p| p.display());
                tracing::debug!(
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "start-up: phone metadata loaded"
                );
            });
            // In the background: a long migration shows the window ("Abriendo la base de datos…").
            let boot = boot::Boot::start(dirs);
            app.manage(boot);
            // The outbound engine starts once the store is open (and not at all if it failed),
            // then every business's relay intake, which resolves in-doubt sends by evidence.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                let phase = handle.state::<boot::Boot>().opened().await;
                if let boot::Phase::Ready(store) = phase {
                    // Each phase is logged with the time since launch: the start-up's timeline.
                    let since = std::time::Instant::now();
                    let step = |what: &str| {
                        tracing::debug!(
                            elapsed_ms = since.elapsed().as_millis() as u64,
                            "start-up: {what}"
                        )
                    };
                    conversations::start(&handle);
                    desktop_notify::start(&handle, &store).await;
                    step("desktop notifications ready");
                    payments::start(&handle);
                    // The unread total for the title reads every unread conversation (tens of
                    // thousands in a big shop): beside the rest, holding nothing back.
                    let (h, s) = (handle.clone(), store.clone());
                    tauri::async_runtime::spawn(async move {
                        tray::seed(&h, &s).await;
                        tracing::debug!("start-up: tray seeded");
                    });
                    // In demo mode the demo runs its own; the app's wait for the real database.
                    if demo::resume(&handle, &store).await {
                        return;
                    }
                    let engine = outbound::start(&handle, store.clone()).await;
                    step("outbound engine started");
                    if let Some(e) = &engine {
                        notifications::start(&handle, store.clone(), e.clone());
                    }
                    intake::start(&handle, store, engine).await;
                    step("intake started");
                }
            });
            updater::spawn_startup_check(app.handle().clone());
            Ok(())
        })
        // Every #[command] in the crate registers itself (crate::ipc).
        .invoke_handler(ipc::invoke_handler())
        .build(tauri::generate_context!())
        .expect("Mostrador could not start its window")
        .run(|app, event| {
            // Intake first: it hands evidence to the engine, which stops after it.
            demo::on_run_event(app, &event);
            intake::on_run_event(app, &event);
            notifications::on_run_event(app, &event);
            outbound::on_run_event(app, &event);
        });
}
