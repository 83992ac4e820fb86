//! Demo mode in the app ("Probar con datos de ejemplo"): thin commands over `mostrador_core::demo`,
//! and the wiring that core leaves to its caller: the demo business gets its own intake (under a
//! supervisor of its own, so the status bar shows its connection) and outbound engine on the
//! demo's database, and its new messages are forwarded to the window's
//! "actividad" feed. The window's store is switched to the demo's on entry and back on exit.
//!
//! Entering at first run and starting in demo mode (the marker was there at boot) take the same
//! path; leaving always ends on the real database, opened if it was not yet, with the app's
//! normal engine and intake started on it if they were not running.

use std::sync::Arc;

use mostrador_core::activity::ActivityGate;
use mostrador_core::conversations::MessageView;
use mostrador_core::demo::{self, Demo, DemoOptions, SimulatedMessage};
use mostrador_core::events::{ConversationEvent, EventBus};
use mostrador_core::inbox::PollerOptions;
use mostrador_core::intake::{IntakeWiring, JobEvidence};
use mostrador_core::org::{self, OrgId};
use mostrador_core::outbound::{Outbound, OutboundConfig, Wiring};
use mostrador_core::secrets::SecretStore;
use mostrador_core::store::Store;
use mostrador_core::{AppError, ErrorCode};
use serde::Serialize;
use tauri::{AppHandle, Manager, RunEvent, State};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{watch, Mutex};

use crate::boot::{self, Boot, Phase};
use crate::ipc::command;

crate::event! {
    /// A message of the demo business was stored (the demo panel's "actividad" feed).
    pub DEMO_ACTIVITY: "demo-activity" => DemoActivity
}

/// One line of the "actividad" feed.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct DemoActivity {
    pub org_id: OrgId,
    pub message: MessageView,
}

/// Whether the window is in demo mode, for the DEMO band and the demo panel.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct DemoStatus {
    pub active: bool,
    pub org_id: Option<OrgId>,
    /// The automatic trickle of customer messages is on.
    pub trickle: bool,
}

/// The running demo (at most one).
pub struct DemoRuntime {
    active: Mutex<Option<Active>>,
    /// Set once [`resume`] is done, so the window never asks for the status in between.
    resumed: watch::Sender<bool>,
}

impl Default for DemoRuntime {
    fn default() -> Self {
        DemoRuntime {
            active: Mutex::default(),
            resumed: watch::channel(false).0,
        }
    }
}

struct Active {
    demo: Demo,
    intake: crate::intake::DemoIntake,
    engine: Option<Arc<Outbound>>,
    forward: tauri::async_runtime::JoinHandle<()>,
    /// The real store the window showed before (entered at first run); `None` when the app
    /// started in demo mode and never opened it.
    real: Option<Store>,
}

impl Active {
    async fn stop(self) -> Option<Store> {
        self.intake.stop().await;
        if let Some(e) = &self.engine {
            e.shutdown().await;
        }
        self.forward.abort();
        let store = self.demo.store().clone();
        self.demo.stop().await;
        store.close().await;
        self.real
    }
}

/// Opens (and migrates) a store off the command's future: sqlx's open future is not provably
/// `Send`, which a command's future must be (the same reason `Boot` opens on a thread).
async fn open_store(path: std::path::PathBuf) -> Result<Store, AppError> {
    tokio::task::spawn_blocking(move || tauri::async_runtime::block_on(Store::open(&path)))
        .await
        .map_err(|_| {
            AppError::new(
                ErrorCode::Internal,
                "La base de datos no terminó de abrirse.",
            )
        })?
        .map_err(AppError::from)
}

fn secrets() -> SecretStore {
    SecretStore::default()
}

/// Starts the demo on `store` with its own engine and intake.
async fn activate(app: &AppHandle, store: Store, real: Option<Store>) -> Result<Active, AppError> {
    let data = app.state::<Boot>().dirs().data.clone();
    let demo = demo::start(&data, store.clone(), DemoOptions::new(secrets())).await?;
    let gate = app.state::<ActivityGate>().inner().clone();
    // The window's bus: Conversaciones and the title's unread count follow the demo shop live.
    let events = app.state::<crate::intake::Intakes>().bus();
    let mut wiring = Wiring::new(secrets(), gate.clone());
    wiring.events = Some(events.clone());
    // The demo shop issues invoices against its own AFIP simulator.
    let afip = crate::invoices::runtime(app, store.clone(), Some(demo.sandbox().afip_url()));
    wiring.handlers = afip.register(std::mem::take(&mut wiring.handlers), gate);
    // And gets paid through its own MercadoPago simulator (links, webhooks via its relay).
    wiring.handlers = mostrador_core::payments::handlers(
        wiring.handlers,
        store.clone(),
        secrets(),
        events.clone(),
        app.state::<crate::payments::Payments>().bus(),
    );
    let engine = match Outbound::start(store.clone(), wiring, OutboundConfig::default()).await {
        Ok(e) => Some(Arc::new(e)),
        Err(e) => {
            tracing::error!(error = %e, "the demo's outbound engine could not start");
            None
        }
    };
    app.state::<crate::outbound::Engine>()
        .set_demo(engine.clone());
    app.state::<crate::invoices::Afip>().set_demo(Some(afip));
    let forward = tauri::async_runtime::spawn(forward(app.clone(), events.clone(), demo.org()));
    let wiring = IntakeWiring {
        store,
        secrets: secrets(),
        events,
        evidence: engine.clone().map(|e| e as Arc<dyn JobEvidence>),
        poller: PollerOptions::default(),
    };
    // Under a supervisor, like any business's: the status bar shows its connection.
    let intake = match crate::intake::start_demo(app, wiring, demo.org()).await {
        Ok(i) => i,
        Err(e) => {
            forward.abort();
            if let Some(engine) = &engine {
                engine.shutdown().await;
            }
            app.state::<crate::outbound::Engine>().set_demo(None);
            app.state::<crate::invoices::Afip>().set_demo(None);
            demo.stop().await;
            return Err(demo::DemoError::from(e).into());
        }
    };
    Ok(Active {
        demo,
        intake,
        engine,
        forward,
        real,
    })
}

async fn forward(app: AppHandle, events: EventBus, org: OrgId) {
    let mut rx = events.subscribe();
    loop {
        match rx.recv().await {
            Ok(ConversationEvent::NewMessage { org_id, message }) if org_id == org => {
                let _ = DEMO_ACTIVITY.emit(&app, DemoActivity { org_id, message });
            }
            Ok(_) | Err(RecvError::Lagged(_)) => {}
            Err(RecvError::Closed) => return,
        }
    }
}

/// At start-up, once the store is open: when the app starts in demo mode, runs the demo on it and
/// returns `true` (the app's own engine and intake then wait for the real database).
pub async fn resume(app: &AppHandle, store: &Store) -> bool {
    if !app.state::<Boot>().started_in_demo() {
        return false;
    }
    let runtime = app.state::<DemoRuntime>();
    match activate(app, store.clone(), None).await {
        Ok(active) => {
            *runtime.active.lock().await = Some(active);
        }
        Err(e) => tracing::error!(error = %e, "the demo could not start"),
    }
    runtime.resumed.send_replace(true);
    true
}

/// On exit: the demo's intake and engine stop, then its relay (what is left waits for next start).
pub fn on_run_event(app: &AppHandle, event: &RunEvent) {
    if let RunEvent::Exit = event {
        let runtime = app.state::<DemoRuntime>();
        tauri::async_runtime::block_on(async {
            if let Some(active) = runtime.active.lock().await.take() {
                let _ =
                    tokio::time::timeout(std::time::Duration::from_secs(10), active.stop()).await;
            }
        });
    }
}

async fn status_of(active: &Option<Active>) -> Result<DemoStatus, AppError> {
    Ok(match active {
        Some(a) => DemoStatus {
            active: true,
            org_id: Some(a.demo.org()),
            trickle: a.demo.trickle_enabled().await?,
        },
        None => DemoStatus {
            active: false,
            org_id: None,
            trickle: false,
        },
    })
}

fn not_running() -> AppError {
    demo::DemoError::NotRunning.into()
}

/// Whether the window is in demo mode.
#[command]
pub async fn demo_status(
    boot: State<'_, Boot>,
    runtime: State<'_, DemoRuntime>,
) -> Result<DemoStatus, AppError> {
    // Started in demo mode: the demo starts right after the store opens; answer once it has.
    if boot.started_in_demo() && matches!(boot.opened().await, Phase::Ready(_)) {
        let _ = runtime.resumed.subscribe().wait_for(|done| *done).await;
    }
    status_of(&*runtime.active.lock().await).await
}

/// "Probar con datos de ejemplo": creates and starts the demo shop in its own database; the
/// window then shows it. Only on a first run (no business of one's own yet).
#[command]
pub async fn demo_enter(
    app: AppHandle,
    boot: State<'_, Boot>,
    runtime: State<'_, DemoRuntime>,
) -> Result<DemoStatus, AppError> {
    let mut active = runtime.active.lock().await;
    if active.is_some() {
        return status_of(&active).await;
    }
    let real = boot.store().await?;
    if !org::list(&real).await?.is_empty() {
        return Err(AppError::new(
            ErrorCode::DemoFailed,
            "El modo de prueba se ofrece antes de crear tu negocio; ya tenés uno creado.",
        ));
    }
    let store = open_store(demo::db_path(&boot.dirs().data)).await?;
    let started = activate(&app, store.clone(), Some(real)).await?;
    boot.switch(store);
    *active = Some(started);
    status_of(&active).await
}

/// "Simular mensaje de un cliente": a random customer writes a random kind of message.
#[command]
pub async fn demo_simulate(runtime: State<'_, DemoRuntime>) -> Result<SimulatedMessage, AppError> {
    let active = runtime.active.lock().await;
    let a = active.as_ref().ok_or_else(not_running)?;
    Ok(a.demo.simulate(None)?)
}

/// Turns the automatic trickle of customer messages on or off (remembered).
#[command]
pub async fn demo_set_trickle(
    runtime: State<'_, DemoRuntime>,
    on: bool,
) -> Result<DemoStatus, AppError> {
    let active = runtime.active.lock().await;
    let a = active.as_ref().ok_or_else(not_running)?;
    a.demo.set_trickle(on).await?;
    status_of(&active).await
}

/// "Salir del demo": stops it, deletes its database, files and keychain entries, and returns the
/// window to a clean first run on the real database.
#[command]
pub async fn demo_exit(
    app: AppHandle,
    boot: State<'_, Boot>,
    runtime: State<'_, DemoRuntime>,
) -> Result<DemoStatus, AppError> {
    let mut active = runtime.active.lock().await;
    app.state::<crate::outbound::Engine>().set_demo(None);
    app.state::<crate::invoices::Afip>().set_demo(None);
    let real = match active.take() {
        Some(a) => a.stop().await,
        // Started in demo mode but the demo failed: the window still shows the demo's store.
        None if boot.started_in_demo() => {
            if let Ok(store) = boot.store().await {
                store.close().await;
            }
            None
        }
        None => return status_of(&active).await,
    };
    demo::exit(&boot.dirs().data, &secrets()).await?;
    let real = match real {
        Some(store) => store,
        None => {
            let store = open_store(boot::real_db_path(boot.dirs())).await?;
            // The app's engine and intake waited for the real database (see `resume`).
            let engine = crate::outbound::start(&app, store.clone()).await;
            crate::intake::start(&app, store.clone(), engine).await;
            store
        }
    };
    boot.switch(real);
    status_of(&active).await
}
